// Progressive enhancement: a form with data-portcullis-busy shows that it is working once
// sent, and cannot be sent twice. Without JavaScript, the server answers a second submit
// of the same assessment with its results.
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-portcullis-busy]");
  Array.prototype.forEach.call(forms, function (form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent") === "true") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-sent", "true");
      form.setAttribute("aria-busy", "true");
      var button = form.querySelector("button[type=submit]");
      if (button) {
        button.setAttribute("aria-disabled", "true");
        button.classList.add("govuk-button--disabled", "portcullis-button--busy");
        button.textContent = form.getAttribute("data-portcullis-busy");
      }
      var status = form.querySelector("[data-busy-status]");
      if (status) {
        status.textContent = form.getAttribute("data-portcullis-busy");
      }
    });
  });
})();
