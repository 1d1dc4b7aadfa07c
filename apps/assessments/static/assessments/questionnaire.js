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
  // Reassessing: once every answer from last time on this page is confirmed or changed,
  // "Confirm all in this section" has nothing left to confirm.
  document.body.addEventListener("htmx:afterSettle", function () {
    var button = document.querySelector('button[name="action"][value="confirm"]');
    if (!button) {
      return;
    }
    var left = Array.prototype.some.call(
      document.querySelectorAll(".portcullis-from-last-time"),
      function (tag) { return !tag.closest("[hidden]"); }
    );
    // A class, not `hidden`: the GOV.UK button's own display rule wins over `hidden`.
    button.classList.toggle("govuk-!-display-none", !left);
  });
  document.body.addEventListener("htmx:sendError", function () {
    var region = document.getElementById("save-status");
    if (region) {
      region.textContent = "Your last answer could not be saved: check your connection, then use Save and continue.";
      region.classList.remove("govuk-visually-hidden");
    }
  });
})();
