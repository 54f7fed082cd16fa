// Ask before a workflow step: every form with data-confirm gets a confirmation dialog.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var text = form.getAttribute("data-confirm");
  if (text && !window.confirm(text)) {
    event.preventDefault();
  }
}, true);
