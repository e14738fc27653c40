// Small conveniences only: every page works without this script.
// A form's submit button is disabled once pressed, so a double click does not post twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  window.setTimeout(function () {
    form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (button) {
      button.disabled = true;
    });
  }, 0);
});
// Coming back to the page through the history: the buttons work again.
window.addEventListener("pageshow", function () {
  document.querySelectorAll("button[type=submit][disabled], input[type=submit][disabled]").forEach(function (button) {
    button.disabled = false;
  });
});
