// Offers and requests: progressive enhancements only; every form works without them.
(() => {
  // One submission per click: the server de-duplicates too (a one-time nonce), this just spares the second request.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", () => {
      form.querySelectorAll("button[type=submit]:not([name])").forEach((button) => {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
      });
    });
  });
  // Coming back with the browser's Back button shows the page as it was left: enable the buttons again.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-once] button[type=submit][aria-busy]").forEach((button) => {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    });
  });

  // Ask before an action that cannot be undone (withdrawing an offer or a request).
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });

  // "Use my current location" fills the exact pin from the device, when it has one and the person allows it.
  document.querySelectorAll("button[data-fill-location]").forEach((button) => {
    if (!("geolocation" in navigator)) return;
    button.hidden = false;
    const status = button.parentElement.querySelector("[data-location-status]");
    button.addEventListener("click", () => {
      if (status) status.textContent = "…";
      navigator.geolocation.getCurrentPosition(
        (position) => {
          document.getElementById(button.dataset.lat).value = position.coords.latitude.toFixed(5);
          document.getElementById(button.dataset.lon).value = position.coords.longitude.toFixed(5);
          if (status) status.textContent = "✓";
        },
        () => {
          if (status) status.textContent = button.dataset.failed || "✗";
        },
        { enableHighAccuracy: true, timeout: 15000 },
      );
    });
  });

  // "For how long": the number of days only matters when "another number of days" is chosen.
  document.querySelectorAll("select[data-other-target]").forEach((select) => {
    const target = document.getElementById(select.dataset.otherTarget);
    if (!target) return;
    const sync = () => {
      const other = select.value === "other";
      target.hidden = !other && !target.querySelector(".is-invalid");
    };
    select.addEventListener("change", sync);
    sync();
  });
})();
