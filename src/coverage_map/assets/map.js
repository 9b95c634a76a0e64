/* coverage-map: the interactive coverage map.
 * Reads the embedded JSON, decodes the TopoJSON once, and styles the same district shapes
 * for whichever service is active. Every value from the data is written with textContent
 * (or as a DOM element given to Leaflet), never as HTML: a district name cannot run code.
 */
(function () {
  "use strict";

  var data = JSON.parse(document.getElementById("cm-data").textContent);
  var T = data.labels;
  var districts = data.districts;
  var byUbigeo = {};
  districts.forEach(function (d, i) { byUbigeo[d.ubigeo] = i; });
  var codes = Object.keys(data.layers);
  var S = data.styles;  // one look per status (styles.py), as in the report and its static maps
  var GAP_STYLE = { fillColor: "url(#cm-hatch)", fillOpacity: 1, color: S.gap.line, weight: 1.5, dashArray: S.gap.dash };
  var FILL = data.basemap ? 0.7 : 0.9;  // let a basemap show through
  var UNKNOWN_STYLE = { fillColor: S.unknown.fill, fillOpacity: FILL, color: S.unknown.line, weight: 1, dashArray: null };
  var active = null;
  var measure = "count";  // or "rate": people of the target population per centre
  var hasRates = data.population !== null;
  var shapes = {};  // district index -> Leaflet polygon
  var labels = [];  // [district index, label element, bounds]

  /* ---- small DOM helpers: text only ---- */
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function fold(text) {
    // Accent- and case-insensitive key: "RÍMAC" and "rimac" both give "rimac".
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }
  // Numbers as the report writes them (formatting.py): the separators come with the data.
  var F = data.format;
  function formatNumber(n, decimals) {
    var parts = Math.abs(n).toFixed(decimals || 0).split(".");
    var whole = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, F.thousands);
    return (n < 0 ? "-" : "") + whole + (parts.length > 1 ? F.decimal + parts[1] : "");
  }
  function formatKm(km) { return formatNumber(km, 1) + F.unit_space + "km"; }

  /* ---- TopoJSON (quantised, delta-encoded arcs) to GeoJSON features ---- */
  function decodeTopology(topo) {
    var sx = topo.transform.scale[0], sy = topo.transform.scale[1];
    var tx = topo.transform.translate[0], ty = topo.transform.translate[1];
    var arcs = topo.arcs.map(function (arc) {
      var x = 0, y = 0;
      return arc.map(function (p) { x += p[0]; y += p[1]; return [x * sx + tx, y * sy + ty]; });
    });
    function ring(indices) {
      var points = [];
      indices.forEach(function (i, k) {
        var arc = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
        points = points.concat(k ? arc.slice(1) : arc);
      });
      return points;
    }
    function polygon(rings) { return rings.map(ring); }
    var object = topo.objects[Object.keys(topo.objects)[0]];
    return object.geometries.map(function (g) {
      var coordinates = g.type === "Polygon" ? polygon(g.arcs) : g.arcs.map(polygon);
      return { type: "Feature", properties: g.properties, geometry: { type: g.type, coordinates: coordinates } };
    });
  }

  /* ---- the map and the shared district shapes ---- */
  // maxZoom: without tiles the map has none, and clustering needs one
  var map = L.map("map", { zoomSnap: 0.25, attributionControl: false, maxZoom: 18 });
  // First view: the whole study area. Set before the shapes, which Leaflet draws only once
  // the map has a view.
  var bbox = data.topology.bbox;
  var legendRoom = map.getSize().x > 900 ? 300 : 10;  // keep the legend off the districts
  map.fitBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]], { paddingTopLeft: [10, 10], paddingBottomRight: [legendRoom, 10] });
  if (data.basemap) {
    // Tiles are optional: when they fail to load the districts still show.
    var credit = el("span", null, data.basemap.attribution).innerHTML;  // escaped text
    L.control.attribution({ prefix: false }).addTo(map);
    L.tileLayer(data.basemap.url, { maxZoom: data.basemap.max_zoom, attribution: credit }).addTo(map);
  }
  var shapesLayer = L.geoJSON(decodeTopology(data.topology), {
    style: { color: S.present.line, weight: 1, fillOpacity: 0.9 },
    onEachFeature: function (feature, shape) {
      var i = byUbigeo[feature.properties.ubigeo];
      shape.districtIndex = i;
      shapes[i] = shape;
      shape.bindTooltip(function () { return describe(i, false); }, { sticky: true, direction: "top", offset: [0, -8] });
      shape.bindPopup(function () { return describe(i, true); });
    },
  }).addTo(map);
  addHatchPattern(shapesLayer);
  Object.keys(shapes).forEach(function (i) {
    var path = shapes[i].getElement();
    path.classList.add("cm-district");
    path.dataset.ubigeo = districts[i].ubigeo;
    path.dataset.name = districts[i].name;
  });

  function addHatchPattern(layer) {
    var svg = map.getRenderer(layer.getLayers()[0])._container;
    var ns = "http://www.w3.org/2000/svg";
    var defs = document.createElementNS(ns, "defs");
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", "cm-hatch");
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", "8");
    pattern.setAttribute("height", "8");
    pattern.setAttribute("patternTransform", "rotate(45)");
    var back = document.createElementNS(ns, "rect");
    back.setAttribute("width", "8");
    back.setAttribute("height", "8");
    back.setAttribute("fill", "#ffffff");
    var line = document.createElementNS(ns, "rect");
    line.setAttribute("width", "2");
    line.setAttribute("height", "8");
    line.setAttribute("fill", S.gap.stripes);
    pattern.appendChild(back);
    pattern.appendChild(line);
    defs.appendChild(pattern);
    svg.insertBefore(defs, svg.firstChild);
  }

  /* ---- tooltip and popup content, built as text ---- */
  function describe(i, full) {
    var layer = data.layers[active];
    var box = el("div", "cm-tip");
    box.appendChild(el("strong", null, districts[i].name));
    box.appendChild(el("span", null, T.ubigeo + ": " + districts[i].ubigeo));
    var status = layer.status.charAt(i);
    var line = layer.acronym + ": ";
    if (status === "p") {
      line += formatNumber(layer.count[i]);
    } else if (status === "g") {
      line += T.gap;
    } else {
      line += T.legend_unknown;
    }
    box.appendChild(el("span", null, line));
    if (status === "g" && layer.nearest[i] !== null) {
      var nearest = districts[layer.nearest[i]].name;
      box.appendChild(el("span", null, T.nearest + ": " + nearest + " (" + formatKm(layer.km[i]) + ")"));
    }
    if (layer.population && layer.population[i] !== null) {
      box.appendChild(el("span", null, T.target_people + ": " + formatNumber(layer.population[i])));
      if (status === "p" && layer.per_centre[i] !== null) {
        box.appendChild(el("span", null, T.people_per_centre + ": " + formatNumber(layer.per_centre[i])));
      }
    }
    if (full) {
      box.appendChild(el("span", "cm-note", layer.name));
    }
    return box;
  }

  /* ---- facilities of the active service: dots, clustered where dense ---- */
  // The clustering plugin is inlined only when the run has facilities with coordinates.
  var sites = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false, maxClusterRadius: 40 }) : null;
  if (sites) { map.addLayer(sites); }

  function describeSite(site) {
    var box = el("div", "cm-tip");
    box.appendChild(el("strong", null, site.name));
    if (site.district !== null) { box.appendChild(el("span", null, districts[site.district].name)); }
    if (site.address) { box.appendChild(el("span", null, T.address + ": " + site.address)); }
    if (site.phone) { box.appendChild(el("span", null, T.phone + ": " + site.phone)); }
    return box;
  }

  function showSites(layer) {
    if (!sites) { return; }
    sites.clearLayers();
    sites.addLayers((layer.sites || []).map(function (site) {
      var icon = L.divIcon({ className: "cm-site", iconSize: [14, 14] });
      var marker = L.marker([site.lat, site.lon], { icon: icon, alt: site.name });
      marker.bindTooltip(function () { return describeSite(site); }, { direction: "top", offset: [0, -8] });
      marker.bindPopup(function () { return describeSite(site); });
      marker.on("add", function () { marker.getElement().dataset.name = site.name; });
      return marker;
    }));
  }

  /* ---- styling the shapes for the active service ---- */
  function styleOf(layer, i) {
    var status = layer.status.charAt(i);
    if (status === "g") { return GAP_STYLE; }
    if (status === "u") { return UNKNOWN_STYLE; }
    var rate = measure === "rate" && layer.rate_classes;
    var index = rate ? layer.rate_class[i] : layer["class"][i];
    if (index === null) { return UNKNOWN_STYLE; }
    var colour = (rate ? layer.rate_classes : layer.classes)[index].color;
    return { fillColor: colour, fillOpacity: FILL, color: S.present.line, weight: 1, dashArray: null };
  }

  function restyle() {
    var layer = data.layers[active];
    Object.keys(shapes).forEach(function (i) {
      var shape = shapes[i];
      var status = layer.status.charAt(i);
      shape.setStyle(styleOf(layer, i));
      var path = shape.getElement();
      path.dataset.status = { p: "present", g: "gap", u: "unknown" }[status];
      path.classList.toggle("cm-gap", status === "g");
      path.classList.toggle("cm-unknown", status === "u");
      path.classList.toggle("cm-present", status === "p");
      if (status === "g") { shape.bringToFront(); }  // so the dashed outline is not hidden
    });
  }

  /* ---- the legend: the active layer only ---- */
  var legend = L.control({ position: "bottomright" });
  var legendBox = el("div", "cm-legend");
  legendBox.setAttribute("role", "region");
  legendBox.setAttribute("aria-live", "polite");
  legend.onAdd = function () {
    L.DomEvent.disableScrollPropagation(legendBox);
    L.DomEvent.disableClickPropagation(legendBox);
    return legendBox;
  };
  legend.addTo(map);

  function legendRow(table, swatch, label, n, units) {
    var row = el("tr");
    var cell = el("td");
    cell.appendChild(swatch);
    row.appendChild(cell);
    row.appendChild(el("td", null, label));
    row.appendChild(el("td", "cm-n", formatNumber(n) + " " + (units || (n === 1 ? T.unit_district : T.unit_districts))));
    table.appendChild(row);
  }

  function renderLegend() {
    var layer = data.layers[active];
    var s = layer.summary;
    legendBox.replaceChildren();
    legendBox.appendChild(el("h3", null, layer.name + " (" + layer.acronym + ")"));
    var rate = measure === "rate" && layer.rate_classes;
    if (hasRates && (rate ? layer.rate_classes : layer.classes).length) {
      legendBox.appendChild(el("p", "cm-note", rate ? T.measure_rate : T.measure_count));
    }
    var table = el("table", "cm-classes");
    (rate ? layer.rate_classes : layer.classes).forEach(function (c) {
      var swatch = el("span", "cm-swatch");
      swatch.style.background = c.color;
      legendRow(table, swatch, c.label, c.districts);
    });
    if (s.gaps) { legendRow(table, el("span", "cm-swatch cm-swatch-gap"), T.gap, s.gaps); }
    if (s.unknown) { legendRow(table, el("span", "cm-swatch cm-swatch-unknown"), T.legend_unknown, s.unknown); }
    if (layer.sites) { legendRow(table, el("span", "cm-swatch-site"), T.site, layer.sites.length, T.sites); }
    legendBox.appendChild(table);
    if (s.hosts === 0 && s.gaps === 0) {
      var known = T.known + ": ";
      if (s.declared_total !== null) { known += formatNumber(s.declared_total) + " " + T.in_lima; }
      if (layer.declared_detail) { known += (s.declared_total !== null ? " (" : "") + layer.declared_detail + (s.declared_total !== null ? ")" : ""); }
      legendBox.appendChild(el("p", "cm-known", known + "; " + T.no_breakdown + "."));
    } else {
      legendBox.appendChild(el("p", null, T.hosts + ": " + formatNumber(s.hosts) + " · " + T.gaps + ": " + formatNumber(s.gaps)));
      var totals = [];
      if (s.listed_total !== null) { totals.push(T.listed + ": " + formatNumber(s.listed_total)); }
      if (s.declared_total !== null) { totals.push(T.declared_by_source + ": " + formatNumber(s.declared_total)); }
      if (totals.length) { legendBox.appendChild(el("p", null, totals.join(" · "))); }
      if (s.gaps && s.unserved_population !== undefined && s.unserved_population !== null) {
        legendBox.appendChild(el("p", null, T.unserved_people + ": " + formatNumber(s.unserved_population)));
      }
      if (layer.declared_detail && s.declared_total !== s.listed_total) {
        legendBox.appendChild(el("p", "cm-note", layer.declared_detail));
      }
    }
    if (layer.confidential) { legendBox.appendChild(el("p", "cm-note", T.confidential)); }
    var sources = el("div", "cm-sources");
    sources.appendChild(el("div", null, T.source + ": " + layer.source));
    sources.appendChild(el("div", null, T.role_boundaries + ": " + data.boundaries));
    if (data.population) { sources.appendChild(el("div", null, T.role_population + ": " + data.population)); }
    if (data.without_geometry.length) {
      sources.appendChild(el("div", null, T.no_geometry + ": " + data.without_geometry.join(", ")));
    }
    if (data.basemap) { sources.appendChild(el("div", null, T.basemap + ": " + data.basemap.attribution)); }
    sources.appendChild(el("div", null, "Leaflet " + L.version));
    legendBox.appendChild(sources);
  }

  /* ---- the layer control: real radio buttons, grouped by program ---- */
  var form = document.getElementById("cm-layers");
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  if (hasRates) {
    // Counts or rates: the same layers, classed by people per centre instead of count.
    var measures = el("fieldset", "cm-measures");
    measures.appendChild(el("legend", null, T.show));
    [["count", T.measure_count], ["rate", T.measure_rate]].forEach(function (option) {
      var label = el("label");
      var radio = el("input");
      radio.type = "radio";
      radio.name = "measure";
      radio.value = option[0];
      radio.id = "cm-measure-" + option[0];
      radio.checked = option[0] === measure;
      radio.addEventListener("change", function () {
        if (radio.checked) { measure = option[0]; restyle(); renderLegend(); }
      });
      label.appendChild(radio);
      label.appendChild(el("span", null, " " + option[1]));
      measures.appendChild(label);
    });
    form.insertBefore(measures, form.firstChild);
  }
  data.groups.forEach(function (group) {
    var fieldset = el("fieldset");
    fieldset.appendChild(el("legend", null, group.name));
    group.layers.forEach(function (code) {
      var layer = data.layers[code];
      var label = el("label");
      var input = el("input");
      input.type = "radio";
      input.name = "service";
      input.value = code;
      input.id = "cm-layer-" + code;
      input.addEventListener("change", function () { if (input.checked) { setLayer(code); } });
      label.appendChild(input);
      var name = el("span", null, " " + layer.name + " ");
      name.appendChild(el("span", "cm-layer-code", "(" + layer.acronym + ")"));
      label.appendChild(name);
      fieldset.appendChild(label);
    });
    form.appendChild(fieldset);
  });

  function setLayer(code) {
    if (!data.layers[code] || code === active) { return; }
    active = code;
    document.getElementById("cm-layer-" + code).checked = true;
    map.closePopup();
    restyle();
    showSites(data.layers[code]);
    renderLegend();
    document.body.dataset.layer = code;
    if (decodeURIComponent(location.hash.slice(1)) !== code) {
      try {
        history.replaceState(null, "", "#" + code);
      } catch (error) {
        location.hash = code;
      }
    }
  }

  function layerFromHash() {
    var code = decodeURIComponent(location.hash.slice(1));
    return data.layers[code] ? code : null;
  }
  window.addEventListener("hashchange", function () { var code = layerFromHash(); if (code) { setLayer(code); } });

  /* ---- district labels, shown only where the name fits inside the district ---- */
  districts.forEach(function (d, i) {
    if (!shapes[i] || !d.point) { return; }
    var text = el("span", "cm-label", d.name);
    var icon = L.divIcon({ className: "cm-label-icon", html: text, iconSize: [0, 0] });
    L.marker(d.point, { icon: icon, interactive: false, keyboard: false }).addTo(map);
    labels.push([i, text, shapes[i].getBounds()]);
  });
  labels.sort(function (a, b) { return area(b[2]) - area(a[2]); });
  function area(bounds) {
    return (bounds.getEast() - bounds.getWest()) * (bounds.getNorth() - bounds.getSouth());
  }

  function fitLabels() {
    // A name shows when it fits inside its district's box and overlaps no name already
    // placed; larger districts are placed first.
    var placed = [];
    labels.forEach(function (entry) {
      var bounds = entry[2];
      var sw = map.latLngToContainerPoint(bounds.getSouthWest());
      var ne = map.latLngToContainerPoint(bounds.getNorthEast());
      var width = Math.abs(ne.x - sw.x), height = Math.abs(sw.y - ne.y);
      var textWidth = districts[entry[0]].name.length * 6.5;
      var fits = width * 0.8 >= textWidth && height >= 20;
      if (fits) {
        var c = map.latLngToContainerPoint(districts[entry[0]].point);
        var box = [c.x - textWidth / 2 - 2, c.y - 8, c.x + textWidth / 2 + 2, c.y + 8];
        fits = !placed.some(function (o) { return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]; });
        if (fits) { placed.push(box); }
      }
      entry[1].classList.toggle("cm-hidden", !fits);
    });
  }
  map.on("zoomend", fitLabels);

  /* ---- district search ---- */
  var input = document.getElementById("cm-search-input");
  var results = document.getElementById("cm-search-results");
  var status = document.getElementById("cm-search-status");
  var highlighted = null;

  function matches(query) {
    var q = fold(query);
    if (!q) { return []; }
    var found = [];
    districts.forEach(function (d, i) {
      var key = fold(d.name);
      var at = key.indexOf(q);
      if (at >= 0) { found.push([at === 0 ? 0 : 1, d.name, i]); }
    });
    found.sort(function (a, b) { return a[0] - b[0] || a[1].localeCompare(b[1]); });
    return found.slice(0, 8).map(function (f) { return f[2]; });
  }

  function select(i) {
    if (highlighted !== null && shapes[highlighted]) {
      shapes[highlighted].getElement().classList.remove("cm-highlight");
    }
    highlighted = i;
    results.replaceChildren();
    input.value = districts[i].name;
    status.textContent = districts[i].name + " (" + districts[i].ubigeo + ")";
    if (!shapes[i]) {
      status.textContent += " — " + T.no_geometry;
      return;
    }
    shapes[i].getElement().classList.add("cm-highlight");
    shapes[i].bringToFront();
    // The popup opens once the zoom has ended, so that its panning starts from the new view.
    map.once("moveend", function () { shapes[i].openPopup(shapes[i].getCenter()); });
    map.fitBounds(shapes[i].getBounds(), { maxZoom: 13, paddingTopLeft: [40, 40], paddingBottomRight: [legendRoom + 40, 40] });
  }

  input.addEventListener("input", function () {
    var found = matches(input.value);
    results.replaceChildren();
    found.forEach(function (i) {
      var item = el("li");
      var button = el("button", null, districts[i].name);
      button.type = "button";
      button.addEventListener("click", function () { select(i); });
      item.appendChild(button);
      results.appendChild(item);
    });
    status.textContent = input.value && !found.length ? T.no_match : "";
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      var found = matches(input.value);
      if (found.length) { select(found[0]); }
    }
  });

  /* ---- first layer: the one named in the address, or the default ---- */
  fitLabels();
  setLayer(layerFromHash() || data.default_layer || codes[0]);
  document.body.dataset.ready = "true";
})();
