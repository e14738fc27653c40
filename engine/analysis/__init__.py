"""What is computed about a decision: tipping points and audit records."""
