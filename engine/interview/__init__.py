"""The questionnaire's conversation model: the question bank and the interview over it."""
