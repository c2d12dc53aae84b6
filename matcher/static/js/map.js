// Maps: the coordinators' offer map, the public per-city counts and the small map on a case page.
// Settings and every visible string come from the element's data-settings, translated on the server;
// nothing here is inline, so the CSP stays at script-src 'self'. The server aggregates by viewport and
// zoom, so the page only ever holds what is in view.
(function () {
  "use strict";

  const root = document.querySelector("[data-map]");
  if (!root || !window.L) return;
  const settings = JSON.parse(root.dataset.settings || "{}");
  const messages = settings.messages || {};
  const numberFormat = new Intl.NumberFormat(document.documentElement.lang || undefined);
  const summary = document.querySelector("[data-map-summary]");
  const STEPS = [1, 3, 5]; // free beds per offer: none, 1-2, 3-4, 5+ (a group: its average)

  function text(key, values) {
    let out = messages[key] || "";
    Object.keys(values || {}).forEach((name) => {
      out = out.split("{" + name + "}").join(String(values[name]));
    });
    return out;
  }

  function num(value) {
    return numberFormat.format(value);
  }

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  function link(href, label) {
    const a = element("a", "", label);
    a.href = href;
    return a;
  }

  function fill(template, id) {
    return template.split("{id}").join(encodeURIComponent(id));
  }

  function bucket(freeBeds, offers) {
    const perOffer = freeBeds / Math.max(offers || 1, 1);
    if (perOffer >= STEPS[2]) return "map-fb-5";
    if (perOffer >= STEPS[1]) return "map-fb-3";
    if (perOffer >= STEPS[0]) return "map-fb-1";
    return "map-fb-0";
  }

  function zoomable(label) {
    return text("zoomHint", { label: label });
  }

  // A keyboard-reachable marker: a labelled disc (or square) with a number on it.
  function marker(lat, lon, label, className, size, name) {
    const disc = element("span", "map-marker " + className, label);
    disc.setAttribute("aria-hidden", "true");
    const icon = L.divIcon({ className: "map-icon", html: disc, iconSize: [size, size] });
    const m = L.marker([lat, lon], { icon: icon, title: name, keyboard: true, riseOnHover: true });
    m.on("add", () => {
      const node = m.getElement();
      if (node) node.setAttribute("aria-label", name);
    });
    return m;
  }

  // Popups keep clear of the zoom buttons in the top-left corner, and fit a phone-wide map.
  const POPUP = {
    maxWidth: Math.min(300, Math.max(160, root.clientWidth - 110)),
    keepInView: true,
    autoPanPaddingTopLeft: [52, 12],
    autoPanPaddingBottomRight: [8, 12],
  };

  function groupSize(count) {
    if (count >= 1000) return 48;
    if (count >= 100) return 42;
    if (count >= 10) return 36;
    return 32;
  }

  function zoomInto(map, bounds, latlng) {
    const target = L.latLngBounds([bounds[1], bounds[0]], [bounds[3], bounds[2]]);
    const zoom = Math.min(map.getBoundsZoom(target), map.getMaxZoom());
    if (zoom > map.getZoom()) map.fitBounds(target);
    else map.setView(latlng, Math.min(map.getZoom() + 2, map.getMaxZoom()));
  }

  function createMap() {
    const map = L.map(root, { minZoom: 2, maxZoom: 19, worldCopyJump: true });
    if (settings.tile_url) {
      // Offline, tiles fail and the map stays a plain background under the points and counts.
      L.tileLayer(settings.tile_url, { attribution: settings.tile_attribution || "", maxZoom: 19 }).addTo(map);
    }
    map.setView([settings.lat, settings.lon], settings.zoom);
    return map;
  }

  // The viewport as the API wants it: west,south,east,north, within the world's range.
  function bboxParam(map) {
    const b = map.getBounds();
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    let west = b.getWest();
    let east = b.getEast();
    if (east - west >= 360) {
      west = -180;
      east = 180;
    } else {
      west = ((((west + 180) % 360) + 360) % 360) - 180;
      east = west + (b.getEast() - b.getWest());
      if (east > 180) {
        west = -180; // the view crosses the antimeridian: ask for the whole width
        east = 180;
      }
    }
    const south = clamp(b.getSouth(), -90, 90);
    const north = clamp(b.getNorth(), -90, 90);
    return [west, south, east, north].map((v) => v.toFixed(5)).join(",");
  }

  // Fetches that cancel the previous one: only the latest view's answer is drawn.
  function loader() {
    let controller = null;
    return async function load(url) {
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch(url, {
          signal: controller.signal,
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (!response.ok) throw new Error("HTTP " + response.status);
        return await response.json();
      } catch (error) {
        if (error.name === "AbortError") return null;
        if (summary) summary.textContent = text("error");
        return null;
      }
    };
  }

  // Refresh after the view settles. While a popup is open its marker must stay (redrawing would close it,
  // and opening one pans the map), so the refresh waits for the popup to close.
  function onViewChange(map, refresh) {
    let timer = null;
    let popupOpen = false;
    let waiting = false;
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (popupOpen) waiting = true;
        else refresh();
      }, 150);
    };
    map.on("moveend", schedule);
    map.on("popupopen", () => {
      popupOpen = true;
    });
    map.on("popupclose", () => {
      popupOpen = false;
      if (waiting) {
        waiting = false;
        schedule();
      }
    });
    return schedule;
  }

  // --- coordinator map ------------------------------------------------------------------------------------

  function offerPopup(properties) {
    const box = element("div");
    properties.offers.forEach((offer) => {
      const item = element("div", "map-popup-offer");
      item.appendChild(element("p", "fw-semibold", text(offer.status === "paused" ? "paused" : "active")));
      item.appendChild(element("p", "", text("freeOfBeds", { free: num(offer.free_beds), beds: num(offer.beds) })));
      const features = [];
      if (offer.pets_ok) features.push(text("pets"));
      if (offer.step_free) features.push(text("stepFree"));
      if (features.length) item.appendChild(element("p", "", features.join(" · ")));
      if (offer.languages.length) {
        const names = offer.languages.map((code) => (settings.language_names || {})[code] || code);
        item.appendChild(element("p", "", text("languages", { list: names.join(", ") })));
      }
      const p = element("p");
      p.appendChild(link(fill(settings.offer_url, offer.id), text("openOffer", { id: offer.id })));
      item.appendChild(p);
      box.appendChild(item);
    });
    return box;
  }

  function offerLayer(map, features) {
    const layer = L.layerGroup();
    features.forEach((feature) => {
      const p = feature.properties;
      const [lon, lat] = feature.geometry.coordinates;
      if (p.kind === "cell") {
        const name = zoomable(text("cellOffers", { n: num(p.count), free: num(p.free_beds) }));
        const m = marker(lat, lon, num(p.count), "map-cell " + bucket(p.free_beds, p.count), groupSize(p.count), name);
        m.on("click", () => zoomInto(map, p.bounds, [lat, lon]));
        layer.addLayer(m);
      } else {
        const name = text("point", { n: num(p.count), free: num(p.free_beds) });
        const style = p.paused ? "map-paused" : bucket(p.free_beds);
        const m = marker(lat, lon, num(p.free_beds), "map-point " + style, 30, name);
        m.bindPopup(() => offerPopup(p), POPUP);
        layer.addLayer(m);
      }
    });
    return layer;
  }

  function requestPopup(p) {
    const box = element("div");
    box.appendChild(element("p", "fw-semibold", text("place", { name: p.name, n: num(p.count) })));
    box.appendChild(element("p", "", text("people", { n: num(p.people) })));
    if (p.vulnerable) box.appendChild(element("p", "", text("vulnerable", { n: num(p.vulnerable) })));
    const list = element("ul");
    p.cases.forEach((id) => {
      const li = element("li");
      li.appendChild(link(fill(settings.case_url, id), text("openCase", { id: id })));
      list.appendChild(li);
    });
    box.appendChild(list);
    if (p.count > p.cases.length) {
      const more = element("p");
      more.appendChild(link(settings.queue_url + "?q=" + encodeURIComponent(p.name), text("moreCases", { n: num(p.count) })));
      box.appendChild(more);
    }
    return box;
  }

  function requestLayer(map, features) {
    const layer = L.layerGroup();
    features.forEach((feature) => {
      const p = feature.properties;
      const [lon, lat] = feature.geometry.coordinates;
      if (p.kind === "cell") {
        const name = zoomable(text("cellRequests", { n: num(p.count), places: num(p.places) }));
        const m = marker(lat, lon, num(p.count), "map-request map-cell", groupSize(p.count), name);
        m.on("click", () => zoomInto(map, p.bounds, [lat, lon]));
        layer.addLayer(m);
      } else {
        const name = text("place", { name: p.name, n: num(p.count) });
        const m = marker(lat, lon, num(p.count), "map-request", 30, name);
        m.bindPopup(() => requestPopup(p), POPUP);
        layer.addLayer(m);
      }
    });
    return layer;
  }

  function coordinatorMap() {
    const map = createMap();
    const form = document.querySelector("[data-map-filters]");
    const loadOffers = loader();
    const loadRequests = loader();
    let offers = null;
    let requests = null;
    let latest = { offers: null, requests: null };

    function filterParams() {
      const params = new URLSearchParams();
      const data = new FormData(form);
      ["min_free_beds", "status", "language"].forEach((name) => {
        const value = String(data.get(name) || "").trim();
        if (value) params.set(name, value);
      });
      ["pets", "step_free"].forEach((name) => {
        if (data.get(name)) params.set(name, "1");
      });
      return params;
    }

    function showSummary() {
      if (!summary) return;
      const parts = [];
      if (latest.offers) parts.push(text("summaryOffers", { n: num(latest.offers.offers), free: num(latest.offers.free_beds) }));
      if (latest.requests) parts.push(text("summaryRequests", { n: num(latest.requests.requests) }));
      summary.textContent = parts.join(" · ");
    }

    async function refresh() {
      const view = new URLSearchParams({ bbox: bboxParam(map), zoom: String(map.getZoom()) });
      const filters = filterParams();
      const showRequests = form.elements.requests.checked;
      // Keep the view and filters in the address, so a reload or a shared link opens the same map.
      const center = map.getCenter();
      const address = new URLSearchParams(filters);
      address.set("lat", center.lat.toFixed(4));
      address.set("lon", center.lng.toFixed(4));
      address.set("zoom", String(map.getZoom()));
      address.set("requests", showRequests ? "1" : "0");
      history.replaceState(null, "", "?" + address.toString());

      const offerQuery = new URLSearchParams(view);
      filters.forEach((value, key) => offerQuery.set(key, value));
      const pending = [loadOffers(root.dataset.api + "?" + offerQuery.toString())];
      pending.push(showRequests ? loadRequests(root.dataset.requestsApi + "?" + view.toString()) : Promise.resolve(null));
      const [offerData, requestData] = await Promise.all(pending);
      if (offerData) {
        if (offers) map.removeLayer(offers);
        offers = offerLayer(map, offerData.features).addTo(map);
        latest.offers = offerData.totals;
      }
      if (requests && (requestData || !showRequests)) {
        map.removeLayer(requests);
        requests = null;
        latest.requests = null;
      }
      if (requestData && showRequests) {
        requests = requestLayer(map, requestData.features).addTo(map);
        latest.requests = requestData.totals;
      }
      if (offerData || requestData) showSummary();
    }

    const schedule = onViewChange(map, refresh);
    form.addEventListener("change", () => {
      map.closePopup();
      schedule();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      map.closePopup();
      schedule();
    });
    refresh();
  }

  // --- public map -----------------------------------------------------------------------------------------

  function publicMap() {
    const map = createMap();
    const load = loader();
    const list = document.querySelector("[data-map-list]");
    let layer = null;

    async function refresh() {
      const query = new URLSearchParams({ bbox: bboxParam(map), zoom: String(map.getZoom()) });
      const data = await load(root.dataset.api + "?" + query.toString());
      if (!data) return;
      if (layer) map.removeLayer(layer);
      layer = L.layerGroup();
      const rows = [];
      data.features.forEach((feature) => {
        const p = feature.properties;
        const [lon, lat] = feature.geometry.coordinates;
        const values = { name: p.name, n: num(p.offers), free: num(p.free_beds), cities: num(p.cities || 1) };
        const style = bucket(p.free_beds, p.offers);
        const label = text(p.kind === "cluster" ? "cluster" : "city", values);
        let m;
        if (p.kind === "cluster") {
          m = marker(lat, lon, num(p.offers), "map-city map-cell " + style, groupSize(p.offers), zoomable(label));
          m.on("click", () => zoomInto(map, p.bounds, [lat, lon]));
        } else {
          m = marker(lat, lon, num(p.offers), "map-city " + style, 32, label);
          m.bindPopup(() => element("p", "", label), POPUP);
        }
        layer.addLayer(m);
        rows.push({ free: p.free_beds, label: label });
      });
      layer.addTo(map);
      if (summary) {
        summary.textContent = data.features.length
          ? text("summaryCities", { n: num(data.totals.offers), free: num(data.totals.free_beds) })
          : text("noneInView");
      }
      if (list) {
        list.replaceChildren();
        rows.sort((a, b) => b.free - a.free);
        rows.slice(0, 10).forEach((row) => list.appendChild(element("li", "", row.label)));
      }
    }

    onViewChange(map, refresh);
    refresh();
  }

  // --- case map -------------------------------------------------------------------------------------------

  function caseMap() {
    const map = createMap();
    const wanted = [settings.lat, settings.lon];
    const name = text("wanted", { name: settings.place, km: num(settings.max_km) });
    marker(settings.lat, settings.lon, "★", "map-wanted", 30, name).bindPopup(() => element("p", "", name), POPUP).addTo(map);
    L.circle(wanted, { radius: settings.max_km * 1000, interactive: false, weight: 1, fill: false, color: "#dc3545" }).addTo(map);
    const points = [wanted];
    settings.candidates.forEach((c) => {
      const label = text("candidate", { rank: c.rank, score: num(c.score), free: num(c.free_beds) });
      const m = marker(c.lat, c.lon, String(c.rank), "map-point " + bucket(c.free_beds), 28, label);
      m.bindPopup(() => {
        const box = element("div");
        box.appendChild(element("p", "", label));
        const p = element("p");
        p.appendChild(link(fill(settings.offer_url, c.id), text("openOffer", { id: c.id })));
        box.appendChild(p);
        return box;
      }, POPUP);
      m.addTo(map);
      points.push([c.lat, c.lon]);
    });
    if (points.length > 1) map.fitBounds(L.latLngBounds(points), { padding: [24, 24], maxZoom: 12 });
  }

  if (settings.kind === "coordinator") coordinatorMap();
  else if (settings.kind === "public") publicMap();
  else if (settings.kind === "case") caseMap();
})();
