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

  // The place picker suggests places as the person types, in any script or spelling. Picking one also fills an
  // empty country and tells the server which of several places of the same name is meant.
  document.querySelectorAll("[data-place-search]").forEach((box) => {
    const input = document.getElementById(box.dataset.placeInput);
    const country = document.getElementById(box.dataset.countryInput);
    const choice = box.querySelector(`input[type=hidden][name="${box.dataset.choiceName}"]`);
    if (!input || !("fetch" in window)) return;
    const list = document.createElement("datalist");
    list.id = `${input.id}-suggestions`;
    box.appendChild(list);
    input.setAttribute("list", list.id);
    const seen = new Map(); // every suggestion's name -> its place, or null when two places share that name
    let timer = null;
    let pending = null;
    const lookup = async () => {
      const query = input.value.trim();
      if (query.length < 2) return;
      if (pending) pending.abort();
      pending = new AbortController();
      const url = new URL(box.dataset.placeSearch, window.location.href);
      url.searchParams.set("q", query);
      if (country && country.value) url.searchParams.set("country", country.value);
      let found;
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, signal: pending.signal });
        if (!response.ok) return;
        found = (await response.json()).places || [];
      } catch {
        return; // aborted by a newer keystroke, or offline: the person just types the name
      }
      found.forEach((place) => {
        const known = seen.get(place.name);
        seen.set(place.name, known === undefined || known?.geoname_id === place.geoname_id ? place : null);
      });
      list.replaceChildren(
        ...found.map((place) => {
          const option = document.createElement("option");
          option.value = place.name;
          option.label = place.label;
          return option;
        }),
      );
    };
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(lookup, 200);
    });
    input.addEventListener("change", () => {
      const picked = seen.get(input.value);
      if (choice) choice.value = picked ? String(picked.geoname_id) : "";
      if (picked && country && !country.value) country.value = picked.country;
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
