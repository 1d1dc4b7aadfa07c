// Progressive enhancement of the questionnaire; the page works without this file.
// htmx leaves 4xx responses unswapped by default; the answer endpoint sends back the
// question with its error message, which the person needs to see.
(function () {
  "use strict";
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 400 || status === 409 || status === 422) {
      var type = event.detail.xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") === 0) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      } else {
        var region = document.getElementById("save-status");
        if (region) {
          region.textContent = event.detail.xhr.responseText;
          region.classList.remove("govuk-visually-hidden");
        }
      }
    }
  });
  document.body.addEventListener("htmx:sendError", function () {
    var region = document.getElementById("save-status");
    if (region) {
      region.textContent = "Your last answer could not be saved: check your connection, then use Save and continue.";
      region.classList.remove("govuk-visually-hidden");
    }
  });
})();
