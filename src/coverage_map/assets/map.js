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
  var FILL = 0.9;  // 0.7 while a basemap shows through
  function unknownStyle() { return { fillColor: S.unknown.fill, fillOpacity: FILL, color: S.unknown.line, weight: 1, dashArray: null }; }
  // A district without the seat of a metropolitan service: served from the seat, no gap.
  function servedStyle() { return { fillColor: S.served.fill, fillOpacity: FILL, color: S.served.line, weight: 1, dashArray: null }; }
  var phone = window.matchMedia("(max-width: 700px)");
  var active = null;
  var measure = "count";  // or "rate" (of the target population to centres) or "access" (E2SFCA)
  var hasRates = data.population !== null;
  var hasAccess = codes.some(function (code) { return Boolean(data.layers[code].access_classes); });
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
    // The matcher's key (districts.normalize_name): "Distrito de  RÍMAC" and "rimac" both give "rimac".
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, " ").trim().replace(/^distrito( de)? /, "");
  }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
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
  var map = L.map("map", { zoomSnap: 0.25, attributionControl: false, maxZoom: 18, zoomControl: false });
  L.control.zoom({ position: "topright", zoomInTitle: T.zoom_in, zoomOutTitle: T.zoom_out }).addTo(map);
  // Leaflet names its popups' close button in English: in the page's language instead
  map.on("popupopen", function (event) {
    var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", T.close_popup); close.title = T.close_popup; }
  });
  // First view: the whole study area. Set before the shapes, which Leaflet draws only once
  // the map has a view; fitArea() sets it again once the panels are there to be kept clear of.
  var bbox = data.topology.bbox;
  var areaBounds = L.latLngBounds([[bbox[1], bbox[0]], [bbox[3], bbox[2]]]);
  map.fitBounds(areaBounds);

  /* ---- the basemap: nothing is requested until the user turns it on ---- */
  var tiles = null, attribution = null;
  function setBasemap(on) {
    if (on && !tiles) {
      // Tiles are optional: when they fail to load the districts still show.
      var credit = el("span", null, data.basemap.attribution).innerHTML;  // escaped text
      attribution = L.control.attribution({ prefix: false }).addTo(map);
      tiles = L.tileLayer(data.basemap.url, { maxZoom: data.basemap.max_zoom, attribution: credit }).addTo(map);
    } else if (!on && tiles) {
      map.removeLayer(tiles);
      map.removeControl(attribution);
      tiles = attribution = null;
    }
    FILL = on ? 0.7 : 0.9;
    document.body.classList.toggle("cm-with-basemap", on);
  }

  // roads{
  // Minutes along OpenStreetMap's streets: its credit (ODbL) stays on the map, under the
  // legend, whether or not a basemap shows. A control of its own: Leaflet's attribution
  // control would also take, and keep, the basemap's credit.
  if (data.roads) {
    var roadsCredit = L.control({ position: "bottomright" });
    roadsCredit.onAdd = function () {
      return el("div", "leaflet-control-attribution leaflet-control cm-roads-credit", data.roads.attribution);
    };
    roadsCredit.addTo(map);
  }
  // }roads
  /* ---- context: the neighbouring districts beyond the study area, light, under it ---- */
  map.createPane("cm-context").style.zIndex = 350;
  // Decoded once: Leaflet draws them, and the image of the view draws them again.
  var areaFeatures = decodeTopology(data.topology);
  var contextFeatures = data.context ? decodeTopology(data.context.topology) : [];
  if (data.context) {
    L.geoJSON(contextFeatures, {
      pane: "cm-context", interactive: false,
      style: { fillColor: "#f4f1ea", fillOpacity: 1, color: "#a9a9a9", weight: 1 },
    }).addTo(map);
  }
  var shapesLayer = L.geoJSON(areaFeatures, {
    style: { color: S.present.line, weight: 1, fillOpacity: 0.9 },
    onEachFeature: function (feature, shape) {
      var i = byUbigeo[feature.properties.ubigeo];
      shape.districtIndex = i;
      shapes[i] = shape;
      shape.bindTooltip(function () { return describe(i, false); }, { sticky: true, direction: "top", offset: [0, -8] });
      shape.bindPopup(function () { return describe(i, true); }, { autoPanPadding: [10, 10] });
    },
  }).addTo(map);
  addHatch(map.getRenderer(shapesLayer.getLayers()[0])._container, "cm-hatch",
    { size: 8, angle: 45, stripe: 2, colour: S.gap.stripes, background: "#ffffff" });
  Object.keys(shapes).forEach(function (i) {
    var path = shapes[i].getElement();
    path.classList.add("cm-district");
    path.dataset.ubigeo = districts[i].ubigeo;
    path.dataset.name = districts[i].name;
    path.setAttribute("role", "img");
    path.setAttribute("tabindex", "-1");  // one Tab stop for all districts: see below
  });

  /* ---- keyboard: the districts are one Tab stop; the arrows move between them (in
     alphabetical order, as the search lists them), Enter opens the focused one's popup ---- */
  var order = Object.keys(shapes).map(Number).sort(function (a, b) {
    return districts[a].name.localeCompare(districts[b].name);
  });
  if (order.length) { shapes[order[0]].getElement().setAttribute("tabindex", "0"); }
  order.forEach(function (i, k) {
    var path = shapes[i].getElement();
    path.addEventListener("keydown", function (event) {
      var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
      if (step) {
        event.preventDefault();
        event.stopPropagation();  // not a pan of the map
        var next = order[(k + step + order.length) % order.length];
        path.setAttribute("tabindex", "-1");
        var target = shapes[next].getElement();
        target.setAttribute("tabindex", "0");
        target.focus();
      } else if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        event.stopPropagation();
        shapes[i].openPopup(shapes[i].getCenter());
      }
    });
  });

  // A striped SVG fill (url(#id)) in the svg's defs, added once: the gaps' red stripes on white,
  // the proposed districts' purple ones on nothing.
  function addHatch(svg, id, hatch) {
    if (svg.querySelector("#" + id)) { return; }
    var ns = "http://www.w3.org/2000/svg";
    function rect(width, fill) {
      var r = document.createElementNS(ns, "rect");
      r.setAttribute("width", String(width));
      r.setAttribute("height", String(hatch.size));
      r.setAttribute("fill", fill);
      return r;
    }
    var pattern = document.createElementNS(ns, "pattern");
    pattern.setAttribute("id", id);
    pattern.setAttribute("patternUnits", "userSpaceOnUse");
    pattern.setAttribute("width", String(hatch.size));
    pattern.setAttribute("height", String(hatch.size));
    pattern.setAttribute("patternTransform", "rotate(" + hatch.angle + ")");
    if (hatch.background) { pattern.appendChild(rect(hatch.size, hatch.background)); }
    pattern.appendChild(rect(hatch.stripe, hatch.colour));
    var defs = document.createElementNS(ns, "defs");
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
    } else if (status === "s") {
      line += T.served_from_seat;
    } else {
      line += T.legend_unknown;
    }
    box.appendChild(el("span", null, line));
    // roads{
    if (data.roads) { roadsCost(box, layer, i, status); } else
    // }roads
    if ((status === "g" || status === "s") && layer.nearest[i] !== null) {
      var nearest = districts[layer.nearest[i]].name;
      box.appendChild(el("span", null, T.nearest + ": " + nearest + " (" + formatKm(layer.km[i]) + ")"));
    }
    if (layer.population && layer.population[i] !== null) {
      var people = data.people_labels;  // a projected year: its people, then the census year's
      box.appendChild(el("span", null, (people ? people.year : T.target_people) + ": " + formatNumber(layer.population[i])));
      if (people && layer.census_population && layer.census_population[i] !== null) {
        box.appendChild(el("span", null, people.census + ": " + formatNumber(layer.census_population[i])));
      }
      if (status === "p" && layer.per_centre[i] !== null) {
        box.appendChild(el("span", null, T.people_per_centre + ": " + formatNumber(layer.per_centre[i])));
      }
    }
    var access = accessText(layer, i);
    if (access) { box.appendChild(el("span", null, T.access_label + ": " + access)); }
    if (full) {
      box.appendChild(el("span", "cm-note", layer.name));
      var proposed = proposedAt[i];  // the active layer's proposal in this district (build --plan)
      if (proposed) {
        var mention = el("div", "cm-proposal-mention");
        mention.appendChild(el("strong", null, proposed.title));
        mention.appendChild(el("span", null, proposed.gain));
        box.appendChild(mention);
      }
    }
    return box;
  }

  // roads{
  // On streets: the minutes of the district's people to their nearest site (a district with
  // the service too: its people's trip), the nearest district where it has none, and the
  // straight line beside them, each said as what it is.
  function roadsCost(box, layer, i, status) {
    var R = data.roads;
    if (status === "u") { return; }
    if (layer.min[i] === null) { box.appendChild(el("span", null, R.unreached)); return; }
    var minutes = formatNumber(layer.min[i]) + F.unit_space + "min";
    if (status === "p") { box.appendChild(el("span", null, fill(R.host, { minutes: minutes }))); return; }
    if (layer.nearest[i] !== null) {
      box.appendChild(el("span", null, fill(R.nearest, { district: districts[layer.nearest[i]].name, minutes: minutes })));
    }
    if (layer.km[i] !== null) { box.appendChild(el("span", null, fill(R.straight, { km: formatKm(layer.km[i]) }))); }
  }
  // }roads
  // A district's access in the legend's unit (per_site), or the label of the legend's last
  // class where no site reaches it; "" for a layer without the access view.
  function accessText(layer, i) {
    if (!layer.access_classes || layer.access_class[i] === null) { return ""; }
    if (layer.per_site[i] === null) { return layer.access_unreached; }
    return formatNumber(layer.per_site[i]) + " " + layer.access_unit;
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
    if (site.note) { box.appendChild(el("span", "cm-note", site.note)); }
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
      marker.on("add", function () {
        var element = marker.getElement();
        element.dataset.name = site.name;
        element.setAttribute("aria-label", site.name);  // a div icon has no alt
      });
      return marker;
    }));
  }

  /* ---- proposed sites (build --plan): numbered diamonds over the facilities; for a
     confidential service its proposed districts outlined and hatched, never a point ---- */
  var proposals = data.proposals;
  map.createPane("cm-proposals").style.zIndex = 450;  // above the districts, under the markers
  var proposalLayer = L.layerGroup().addTo(map);
  var proposedAt = {};  // district index -> the active layer's proposed site in it

  function describeProposal(site, withDistrict) {
    var box = el("div", "cm-tip cm-proposal-tip");
    box.appendChild(el("strong", null, site.title));
    site.lines.forEach(function (line) { box.appendChild(el("span", null, line)); });
    box.appendChild(el("span", "cm-note", site.note));
    if (withDistrict) { box.appendChild(describe(site.district, false)); }  // the outline covers the district
    return box;
  }

  // A proposed site's numbered diamond stands on a short stem beside its point, never on the
  // names: placePins puts it above, below, left or right of the point, the first side where it
  // stays in the map and covers no name shown; the gap leaves room for the district's own name on that point.
  var PIN = { size: 26, stem: 12, gap: 16 };
  var pinPlaces = {};  // rank -> {x, y}: where the diamond stands from its point, in pixels
  function proposalMarker(site) {
    var html = el("div", "cm-proposal-pin");
    var diamond = el("div", "cm-proposal-diamond");
    diamond.appendChild(el("span", null, site.rank));
    html.appendChild(diamond);
    html.appendChild(el("div", "cm-proposal-stem"));
    var icon = L.divIcon({ className: "cm-proposal", html: html, iconSize: [PIN.size, PIN.size], popupAnchor: [0, 0] });
    var marker = L.marker([site.lat, site.lon], { icon: icon, alt: site.title, zIndexOffset: 1000 });
    marker.pin = { site: site, size: PIN.size, stem: true };
    marker.on("add", function () {
      marker.getElement().dataset.rank = site.rank;
      marker.getElement().setAttribute("aria-label", site.title);  // a div icon has no alt
    });
    return marker;
  }

  function placePins() {
    var shown = [];
    document.querySelectorAll(".cm-label:not(.cm-hidden)").forEach(function (label) {
      var r = label.getBoundingClientRect();
      if (r.width) { shown.push([r.left - 2, r.top - 2, r.right + 2, r.bottom + 2]); }
    });
    var origin = map.getContainer().getBoundingClientRect();
    proposalLayer.eachLayer(function (marker) {
      if (!marker.pin || !marker.getElement()) { return; }
      var at = map.latLngToContainerPoint(marker.getLatLng());
      var x0 = at.x + origin.left, y0 = at.y + origin.top, half = marker.pin.size / 2;
      var own = shown.filter(function (b) { return b[0] <= x0 && x0 <= b[2] && b[1] <= y0 && y0 <= b[3]; })[0];
      var reach = marker.pin.stem ? PIN.stem : 0;
      var sides = [
        [0, -1, own ? y0 - own[1] : PIN.gap], [0, 1, own ? own[3] - y0 : PIN.gap],
        [1, 0, own ? own[2] - x0 : 8], [-1, 0, own ? x0 - own[0] : 8],
      ].map(function (d) {
        var far = Math.max(d[2], 8) + reach + half;
        return { x: d[0] * far, y: d[1] * far, dx: d[0], dy: d[1], gap: Math.max(d[2], 8) };
      });
      // the first side with nothing in the way; where every side has something, the one covering least
      var place = null, least = Infinity;
      sides.forEach(function (p) {
        var box = [x0 + p.x - half, y0 + p.y - half, x0 + p.x + half, y0 + p.y + half];
        var outside = box[0] < origin.left || box[1] < origin.top || box[2] > origin.right || box[3] > origin.bottom;
        // the stem too: from the gap's edge to the diamond
        var ends = [x0 + p.dx * (p.gap + 2), y0 + p.dy * (p.gap + 2), x0 + p.dx * (p.gap + reach), y0 + p.dy * (p.gap + reach)];
        var stem = [Math.min(ends[0], ends[2]) - 1, Math.min(ends[1], ends[3]) - 1,
                    Math.max(ends[0], ends[2]) + 1, Math.max(ends[1], ends[3]) + 1];
        var hits = (outside ? 1e6 : 0);  // the area it covers of the names shown
        shown.forEach(function (b) {
          [box, stem].forEach(function (a) {
            hits += Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
          });
        });
        if (hits < least) { least = hits; place = p; }
      });
      var element = marker.getElement();
      element.style.marginLeft = (place.x - half) + "px";
      element.style.marginTop = (place.y - half) + "px";
      shown.push([x0 + place.x - half, y0 + place.y - half, x0 + place.x + half, y0 + place.y + half]);
      pinPlaces[marker.pin.site.rank] = place;
      var stem = element.querySelector(".cm-proposal-stem");
      if (stem) {  // from the gap's edge to the diamond, in the icon's own pixels (its centre: half, half)
        var from = [half - place.x + place.dx * place.gap, half - place.y + place.dy * place.gap];
        stem.style.left = (from[0] - (place.dx ? (place.dx < 0 ? reach : 0) : 1)) + "px";
        stem.style.top = (from[1] - (place.dy ? (place.dy < 0 ? reach : 0) : 1)) + "px";
        stem.style.width = (place.dx ? reach : 2) + "px";
        stem.style.height = (place.dy ? reach : 2) + "px";
      }
    });
  }

  function proposalDistrict(site) {
    // the district's own outline (drawn from its polygon): the data hold no point of it
    var outline = L.polygon(shapes[site.district].getLatLngs(), {
      pane: "cm-proposals", color: proposals.colour, weight: 4, fillColor: "url(#cm-proposal-hatch)", fillOpacity: 1,
    });
    outline.on("add", function () {
      addHatch(outline.getElement().ownerSVGElement, "cm-proposal-hatch",
        { size: 10, angle: -45, stripe: 3, colour: proposals.colour });
      var path = outline.getElement();
      path.classList.add("cm-proposal-district");
      path.dataset.rank = site.rank;
      path.dataset.name = districts[site.district].name;
    });
    return outline;
  }

  // A confidential service's proposed district gets its rank too: a round badge above the
  // district's name (a district's label point, never a site's), not a diamond.
  function proposalRank(site) {
    var badge = el("div", "cm-proposal-rank-badge");
    badge.appendChild(el("span", null, site.rank));
    var icon = L.divIcon({ className: "cm-proposal-rank", html: badge, iconSize: [22, 22], popupAnchor: [0, 0] });
    var marker = L.marker(districts[site.district].point, { icon: icon, alt: site.title, zIndexOffset: 1000 });
    marker.pin = { site: site, size: 22, stem: false };  // beside the name, as a site's diamond
    marker.on("add", function () {
      marker.getElement().dataset.rank = site.rank;
      marker.getElement().setAttribute("aria-label", site.title);
    });
    return marker;
  }

  // One popup per proposal, no tooltip: the popup says it all, and opens clear of the panels.
  function showProposals(code) {
    proposalLayer.clearLayers();
    proposedAt = {};
    var own = proposals && proposals.layers[code];
    if (!own) { return; }
    own.sites.forEach(function (site) {
      if (site.district !== null && site.district !== undefined) { proposedAt[site.district] = site; }
      if (own.confidential && shapes[site.district] === undefined) { return; }  // a district without geometry
      var parts = own.confidential ? [proposalDistrict(site)] : [proposalMarker(site)];
      if (own.confidential && districts[site.district].point) { parts.push(proposalRank(site)); }
      parts.forEach(function (shape) {
        shape.bindPopup(function () { return describeProposal(site, own.confidential); }, { maxWidth: 280 });
        padPopup(shape);
        proposalLayer.addLayer(shape);
      });
    });
  }

  function legendProposals(table) {
    var own = proposals && proposals.layers[active];
    if (!own) { return; }
    var swatch = el("span", own.confidential ? "cm-swatch-proposal-district" : "cm-swatch-proposal");
    legendRow(table, swatch, own.confidential ? proposals.labels.district : proposals.labels.site, own.sites.length,
      own.confidential ? undefined : proposals.labels.sites);
  }

  /* ---- styling the shapes for the active service ---- */
  // What the active layer shows: its counts, its ratio of people to centres, or its access (a layer
  // without the chosen measure shows its counts).
  function viewOf(layer) {
    if (measure === "access" && layer.access_classes) { return "access"; }
    if (measure === "rate" && layer.rate_classes && layer.rate_classes.length) { return "rate"; }
    return "count";
  }
  function classesOf(layer) {
    return { access: layer.access_classes, rate: layer.rate_classes, count: layer.classes }[viewOf(layer)];
  }

  function styleOf(layer, i) {
    var status = layer.status.charAt(i);
    var view = viewOf(layer);
    if (view === "access" && layer.access_class[i] !== null) {
      // Every district has an access; a gap keeps its dashed outline over its class colour.
      var reach = layer.access_classes[layer.access_class[i]].color;
      return status === "g"
        ? { fillColor: reach, fillOpacity: FILL, color: S.gap.line, weight: 1.5, dashArray: S.gap.dash }
        : { fillColor: reach, fillOpacity: FILL, color: S.present.line, weight: 1, dashArray: null };
    }
    if (status === "g") { return GAP_STYLE; }
    if (status === "u") { return unknownStyle(); }
    if (status === "s") { return servedStyle(); }
    var index = view === "rate" ? layer.rate_class[i] : layer["class"][i];
    if (index === null) { return unknownStyle(); }
    return { fillColor: classesOf(layer)[index].color, fillOpacity: FILL, color: S.present.line, weight: 1, dashArray: null };
  }

  function restyle() {
    var layer = data.layers[active];
    Object.keys(shapes).forEach(function (i) {
      var shape = shapes[i];
      var status = layer.status.charAt(i);
      shape.setStyle(styleOf(layer, i));
      var path = shape.getElement();
      path.dataset.status = { p: "present", g: "gap", u: "unknown", s: "served" }[status];
      path.classList.toggle("cm-gap", status === "g");
      path.classList.toggle("cm-unknown", status === "u");
      path.classList.toggle("cm-present", status === "p");
      path.classList.toggle("cm-served", status === "s");
      var name = districts[i].name;
      path.setAttribute("aria-label", status === "p"
        ? fill(T.district_aria_present, { name: name, count: formatNumber(layer.count[i]), acronym: layer.acronym })
        : fill({ g: T.district_aria_gap, s: T.district_aria_served, u: T.district_aria_unknown }[status],
          { name: name, acronym: layer.acronym }));
      if (status === "g") { shape.bringToFront(); }  // so the dashed outline is not hidden
    });
  }

  /* ---- the legend: the active layer only ---- */
  // A one-line summary of the active layer is always shown; the rest opens and closes
  // (open on a wide screen, closed on a phone, where it would cover the map).
  var legend = L.control({ position: "bottomright" });
  var legendFrame = el("section", "cm-legend");
  legendFrame.setAttribute("aria-label", T.legend);
  var legendHead = el("div", "cm-legend-head");
  var legendSummary = el("p", "cm-legend-summary");
  legendSummary.id = "cm-legend-summary";
  legendSummary.setAttribute("aria-live", "polite");
  var legendToggle = el("button", "cm-legend-toggle", T.legend);
  legendToggle.type = "button";
  legendToggle.setAttribute("aria-controls", "cm-legend-body");
  legendHead.appendChild(legendSummary);
  legendHead.appendChild(legendToggle);
  var legendBox = el("div", "cm-legend-body");
  legendBox.id = "cm-legend-body";
  legendFrame.appendChild(legendHead);
  legendFrame.appendChild(legendBox);
  legend.onAdd = function () {
    L.DomEvent.disableScrollPropagation(legendFrame);
    L.DomEvent.disableClickPropagation(legendFrame);
    return legendFrame;
  };
  legend.addTo(map);
  function openLegend(open) {
    legendFrame.classList.toggle("cm-open", open);
    legendToggle.setAttribute("aria-expanded", String(open));
    legendToggle.title = open ? T.legend_close : T.legend_open;
    updatePopupPadding();
  }
  legendToggle.addEventListener("click", function () {
    var open = !legendFrame.classList.contains("cm-open");
    if (open && phone.matches) { map.closePopup(); }  // the open legend would cover it
    openLegend(open);
    if (open && phone.matches) { keepGapsInView(); }
  });
  // On a phone the open legend covers the map's lower half: the view moves so that the
  // active layer's gaps stay in sight above it, named, where they fit there at the same zoom
  // (HRT's 40 do not: zoomed out that far, the map would be a strip of names).
  function keepGapsInView() {
    var layer = data.layers[active], gaps = null;
    Object.keys(shapes).forEach(function (i) {
      if (layer.status.charAt(i) !== "g") { return; }
      var bounds = shapes[i].getBounds();
      gaps = gaps ? gaps.extend(bounds) : L.latLngBounds(bounds.getSouthWest(), bounds.getNorthEast());
    });
    if (!gaps) { return; }
    var c = covered(), size = map.getSize();
    var top = map.latLngToContainerPoint(gaps.getNorthWest()), bottom = map.latLngToContainerPoint(gaps.getSouthEast());
    var clear = c.top + 24, floor = size.y - c.bottom - 24;  // room for a name above and below
    var padding = { paddingTopLeft: [30, c.top + 30], paddingBottomRight: [30, c.bottom + 30] };
    var inSight = top.y >= clear && bottom.y <= floor && top.x >= 0 && bottom.x <= size.x;
    if (!inSight && map.getBoundsZoom(gaps, false, L.point(60, c.top + c.bottom + 60)) >= map.getZoom()) {
      map.fitBounds(gaps, L.extend({ animate: false, maxZoom: map.getZoom() }, padding));
    }
    fitLabels();
  }
  openLegend(!phone.matches);

  // The legend's rows of the active layer, for the page's legend and the image's alike:
  // kind (class, gap, gap-outline, served, unknown, site), colour, label, number, unit.
  function legendEntries(layer) {
    var s = layer.summary, view = viewOf(layer), entries = [];
    classesOf(layer).forEach(function (c) { entries.push({ kind: "class", color: c.color, label: c.label, n: c.districts }); });
    if (s.gaps) { entries.push({ kind: view === "access" ? "gap-outline" : "gap", label: view === "access" ? T.gap_outline : T.gap, n: s.gaps }); }
    var served = (layer.status.match(/s/g) || []).length;
    if (served && view !== "access") { entries.push({ kind: "served", color: S.served.fill, label: T.legend_served, n: served }); }
    if (s.unknown) { entries.push({ kind: "unknown", color: S.unknown.fill, label: T.legend_unknown, n: s.unknown }); }
    if (layer.sites) { entries.push({ kind: "site", label: T.site, n: layer.sites.length, units: T.sites }); }
    return entries;
  }
  function legendSwatch(entry) {
    var swatch = el("span", { "class": "cm-swatch", gap: "cm-swatch cm-swatch-gap", "gap-outline": "cm-swatch cm-swatch-outline",
      served: "cm-swatch cm-swatch-served", unknown: "cm-swatch cm-swatch-unknown", site: "cm-swatch-site" }[entry.kind]);
    if (entry.kind === "class") { swatch.style.background = entry.color; }
    return swatch;
  }
  function summaryLine(layer) {
    var s = layer.summary;
    if (s.hosts === 0 && s.gaps === 0) { return fill(T.summary_unknown, { acronym: layer.acronym }); }
    if (layer.scale === "metropolitan") { return fill(T.summary_metropolitan, { acronym: layer.acronym }); }
    return fill(T.summary_present, { acronym: layer.acronym, hosts: formatNumber(s.hosts), gaps: formatNumber(s.gaps) });
  }
  function measureNote(layer) {
    var view = viewOf(layer);
    if (measure === "access" && view !== "access") { return T.access_counts_only; }
    if (measure === "rate" && view !== "rate" && /[pgs]/.test(layer.status)) { return T.rate_counts_only; }
    if (!(hasRates || hasAccess) || !classesOf(layer).length) { return ""; }
    return { access: T.measure_access, rate: T.measure_rate, count: T.measure_count }[view];
  }

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
    legendSummary.textContent = summaryLine(layer);
    legendBox.appendChild(el("h2", null, layer.name + " (" + layer.acronym + ")"));
    if (measureNote(layer)) { legendBox.appendChild(el("p", "cm-note", measureNote(layer))); }
    var table = el("table", "cm-classes");
    legendEntries(layer).forEach(function (entry) {
      legendRow(table, legendSwatch(entry), entry.label, entry.n, entry.units);
    });
    legendProposals(table);
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
      if (layer.side_by_side) { legendBox.appendChild(el("p", "cm-sources-side", layer.side_by_side)); }
      else if (totals.length) { legendBox.appendChild(el("p", null, totals.join(" · "))); }
      if (s.gaps && s.unserved_population !== undefined && s.unserved_population !== null) {
        legendBox.appendChild(el("p", null, T.unserved_people + ": " + formatNumber(s.unserved_population)));
      }
      if (layer.declared_detail && s.declared_total !== s.listed_total) {
        legendBox.appendChild(el("p", "cm-note", layer.declared_detail));
      }
    }
    if (layer.scale_note) { legendBox.appendChild(el("p", "cm-note", layer.scale_note)); }
    // roads{
    if (layer.roads_note) { legendBox.appendChild(el("p", "cm-note", layer.roads_note)); }
    // }roads
    if (layer.confidential) { legendBox.appendChild(el("p", "cm-note", T.confidential)); }
    var sources = el("div", "cm-sources");
    sources.appendChild(el("div", null, T.source + ": " + layer.source));
    sources.appendChild(el("div", null, T.role_boundaries + ": " + data.boundaries));
    if (data.population) { sources.appendChild(el("div", null, T.role_population + ": " + data.population)); }
    // roads{
    if (data.roads) { data.roads.sources.forEach(function (line) { sources.appendChild(el("div", null, line)); }); }
    // }roads
    if (data.without_geometry.length) {
      sources.appendChild(el("div", null, T.no_geometry + ": " + data.without_geometry.join(", ")));
    }
    if (data.context) {
      var context = el("div");
      context.appendChild(el("span", "cm-swatch-context"));
      context.appendChild(document.createTextNode(" " + T.context_districts));
      sources.appendChild(context);
    }
    if (tiles) { sources.appendChild(el("div", null, T.basemap + ": " + data.basemap.attribution)); }
    sources.appendChild(el("div", null, "Leaflet " + L.version));
    legendBox.appendChild(sources);
    updatePopupPadding();
  }

  /* ---- keep popups and the first view clear of the panels ---- */
  var panel = document.getElementById("cm-panel");
  var bar = panel.querySelector(".cm-bar");
  function covered() {
    // What the panels cover at the map's edges: the phone's top bar, the legend.
    var mapBox = map.getContainer().getBoundingClientRect();
    var top = Math.max(0, bar.getBoundingClientRect().bottom + 6 - mapBox.top);
    if (!phone.matches) { top = 0; }
    var box = legendFrame.getBoundingClientRect();
    return { top: top, right: phone.matches ? 0 : box.width + 10, bottom: box.height + 10 };
  }
  // A popup pans the map until it is clear of the panels (the phone's bar, the legend).
  function padPopup(owner) {
    if (!panel || !owner.getPopup()) { return; }
    var c = covered(), options = owner.getPopup().options;
    options.autoPan = true;
    options.autoPanPaddingTopLeft = L.point(10, c.top + 10);
    options.autoPanPaddingBottomRight = L.point(c.right + 10, c.bottom + 10);
  }
  function updatePopupPadding() {
    if (!panel) { return; }
    document.documentElement.style.setProperty("--cm-bar", (phone.matches ? bar.getBoundingClientRect().bottom : 0) + "px");
    Object.keys(shapes).forEach(function (i) { padPopup(shapes[i]); });
    proposalLayer.eachLayer(padPopup);
  }
  function fitArea(animate) {
    var c = covered();
    map.fitBounds(areaBounds, {
      animate: animate, paddingTopLeft: [10, c.top + 10],
      paddingBottomRight: [c.right + 10, (phone.matches ? c.bottom : 0) + 10],
    });
  }

  /* ---- the layer control: real radio buttons, grouped by program ---- */
  var form = document.getElementById("cm-layers");
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  if (hasRates || hasAccess) {
    // Counts, rates or access: the same layers, classed by the ratio of target population to
    // centres, or by their access across district lines.
    var measures = el("fieldset", "cm-measures");
    measures.appendChild(el("legend", null, T.show));
    var options = [["count", T.measure_count]];
    if (hasRates) { options.push(["rate", T.measure_rate]); }
    if (hasAccess) { options.push(["access", T.measure_access]); }
    options.forEach(function (option) {
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
  // Services that have counts per district first; the others grouped apart, folded.
  function hasData(code) { return /[pgs]/.test(data.layers[code].status); }
  var noData = el("details", "cm-nodata");
  var noDataCount = codes.filter(function (code) { return !hasData(code); }).length;
  noData.appendChild(el("summary", null, T.no_data_services + " (" + noDataCount + ")"));
  data.groups.forEach(function (group) {
    [true, false].forEach(function (withData) {
      var own = group.layers.filter(function (code) { return hasData(code) === withData; });
      if (own.length) { (withData ? form : noData).appendChild(layerGroup(group, own)); }
    });
  });
  if (noDataCount) { form.appendChild(noData); }
  function layerGroup(group, layerCodes) {
    var fieldset = el("fieldset");
    fieldset.appendChild(el("legend", null, group.name));
    layerCodes.forEach(function (code) {
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
    return fieldset;
  }

  function setLayer(code) {
    if (!data.layers[code] || code === active) { return; }
    active = code;
    var radio = document.getElementById("cm-layer-" + code);
    radio.checked = true;
    if (!hasData(code)) { noData.open = true; }
    document.getElementById("cm-layers-current").textContent = data.layers[code].acronym;
    map.closePopup();
    restyle();
    showSites(data.layers[code]);
    showProposals(code);
    renderLegend();
    fitLabels();  // the new layer's gaps are named
    document.body.dataset.layer = code;
    placePins();  // after the names the layer shows
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
  // A long name may take two lines; names of the context districts are placed last.
  function addLabel(name, point, bounds, className, index) {
    var text = el("span", className, name);
    var icon = L.divIcon({ className: "cm-label-icon", html: text, iconSize: [0, 0] });
    L.marker(point, { icon: icon, interactive: false, keyboard: false, pane: "markerPane" }).addTo(map);
    var words = name.split(" "), half = 0, best = null;
    for (var k = 1; k < words.length; k++) {
      var a = words.slice(0, k).join(" "), b = words.slice(k).join(" ");
      var width = Math.max(a.length, b.length);
      if (best === null || width < half) { half = width; best = a + "\n" + b; }
    }
    labels.push({ name: name, text: text, point: L.latLng(point), bounds: bounds, two: best, half: half, index: index,
                  dx: 0, dy: 0 });
  }
  districts.forEach(function (d, i) {
    if (shapes[i] && d.point) { addLabel(d.name, d.point, shapes[i].getBounds(), "cm-label", i); }
  });
  labels.sort(function (a, b) { return area(b.bounds) - area(a.bounds); });
  if (data.context) {
    data.context.names.forEach(function (c) {
      addLabel(c.name, c.point, L.latLngBounds([c.point, c.point]).pad(0), "cm-label cm-label-context");
    });
  }
  function area(bounds) {
    return (bounds.getEast() - bounds.getWest()) * (bounds.getNorth() - bounds.getSouth());
  }

  // A label's box on screen (left, top, right, bottom), about 6.6 px a character.
  // A name's width as the page draws it (a gap's is bolder), measured once per name and weight.
  var measure2d = document.createElement("canvas").getContext("2d"), widths = {};
  function textWidth(text, gap) {
    var key = (gap ? "g" : "n") + text;
    if (!(key in widths)) {
      measure2d.font = (gap ? "700 " : "600 ") + "11px " + getComputedStyle(document.body).fontFamily;
      widths[key] = Math.max.apply(null, text.split("\n").map(function (line) { return measure2d.measureText(line).width; }));
    }
    return widths[key];
  }
  function labelBox(entry, lines, dx, dy, gap, small) {
    var c = map.latLngToContainerPoint(entry.point), scale = small ? SMALL : 1;
    var width = textWidth(lines === 2 ? entry.two : entry.name, gap) * scale + 4, height = (lines === 2 ? 30 : 16) * scale;
    return [c.x + dx - width / 2 - 2, c.y + dy - height / 2, c.x + dx + width / 2 + 2, c.y + dy + height / 2];
  }
  function collides(box, placed) {
    return placed.some(function (o) { return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]; });
  }
  function isGap(entry) {
    return entry.index !== undefined && data.layers[active].status.charAt(entry.index) === "g";
  }
  // The line from a district's point to the edge of its name's box, the name moved beside it.
  function leader(point, box) {
    var from = map.latLngToContainerPoint(point);
    var centre = L.point((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), d = from.subtract(centre);
    var t = Math.min((box[2] - box[0]) / 2 / Math.max(Math.abs(d.x), 1e-9), (box[3] - box[1]) / 2 / Math.max(Math.abs(d.y), 1e-9));
    var to = centre.add(d.multiplyBy(Math.min(t, 1)));
    var line = L.polyline([point, map.containerPointToLatLng(to)], {
      pane: "cm-leaders", interactive: false, color: "#333333", weight: 1, className: "cm-leader",
    });
    line.ends = [point, map.containerPointToLatLng(to)];
    return line;
  }
  function showLabel(entry, lines, dx, dy) {
    entry.text.textContent = lines === 2 ? entry.two : entry.name;
    entry.dx = dx;
    entry.dy = dy;
    entry.text.style.left = dx + "px";
    entry.text.style.top = dy + "px";
  }

  // What covers the map (the legend, the zoom buttons, the phone's bar), in the map's pixels:
  // no name is placed under them.
  function panelBoxes() {
    var frame = map.getContainer().getBoundingClientRect();
    return [legendFrame, document.querySelector(".leaflet-control-zoom"), phone.matches ? bar : null].filter(Boolean)
      .map(function (node) { return node.getBoundingClientRect(); })
      .filter(function (r) { return r.width && r.height; })
      .map(function (r) { return [r.left - frame.left, r.top - frame.top, r.right - frame.left, r.bottom - frame.top]; });
  }
  // Where a gap's name may go: on its point, else ever farther around it (16 directions),
  // joined to its district by a thin line.
  var AROUND = [];
  for (var ring = 1; ring <= 14; ring++) {
    for (var turn = 0; turn < 16; turn++) {
      var angle = Math.PI * (0.5 + turn / 8);  // straight up first, then around
      AROUND.push([Math.cos(angle) * ring * 16, -Math.sin(angle) * ring * 12]);
    }
  }
  var SMALL = 9 / 11;  // a crowded gap's name: 9 px instead of 11
  var leaders = L.layerGroup().addTo(map);
  map.createPane("cm-leaders").style.zIndex = 590;  // over the districts and proposals, under the names

  function fitLabels() {
    // The districts the active layer calls gaps are named first, at every zoom, whether their
    // name fits inside them or not (a gap nobody can name is a gap nobody reads); where a
    // gap's name would cover another gap's or a panel, it moves beside its district, joined
    // by a line. Then a name shows when it fits inside its district's box (on one line or
    // two) and overlaps no name already placed nor a panel; larger districts are placed
    // first, context names last.
    var size = map.getSize();
    var panels = panelBoxes();
    var placed = panels.slice();
    var gaps = labels.filter(isGap);
    leaders.clearLayers();
    function inView(box) { return box[0] >= 0 && box[1] >= 0 && box[2] <= size.x && box[3] <= size.y; }
    gaps.forEach(function (entry) {
      var sw = map.latLngToContainerPoint(entry.bounds.getSouthWest());
      var ne = map.latLngToContainerPoint(entry.bounds.getNorthEast());
      var width = Math.abs(ne.x - sw.x);
      var lines = entry.two && width * 0.85 < entry.name.length * 6.6 ? 2 : 1;
      // on its point, else around it, else the same in a smaller type, else on its point
      var shift = [0, 0], small = false;
      if (inView(labelBox(entry, lines, 0, 0, true))) {
        [false, true].some(function (smaller) {
          var found = [[0, 0]].concat(AROUND).filter(function (d) {
            var box = labelBox(entry, lines, d[0], d[1], true, smaller);
            return inView(box) && !collides(box, placed);
          })[0];
          if (found) { shift = found; small = smaller; }
          return Boolean(found);
        });
      }
      var box = labelBox(entry, lines, shift[0], shift[1], true, small);
      placed.push(box);
      showLabel(entry, lines, shift[0], shift[1]);
      entry.text.classList.toggle("cm-label-small", small);
      if (shift[0] || shift[1]) { leaders.addLayer(leader(entry.point, box)); }
      entry.text.classList.add("cm-label-gap");
      entry.text.classList.remove("cm-hidden");
    });
    labels.forEach(function (entry) {
      if (gaps.indexOf(entry) >= 0) { return; }
      entry.text.classList.remove("cm-label-gap", "cm-label-small");
      var context = entry.text.classList.contains("cm-label-context");
      var sw = map.latLngToContainerPoint(entry.bounds.getSouthWest());
      var ne = map.latLngToContainerPoint(entry.bounds.getNorthEast());
      var width = Math.abs(ne.x - sw.x), height = Math.abs(sw.y - ne.y);
      var lines = null;
      if (context || (width * 0.85 >= entry.name.length * 6.6 && height >= 18)) {
        lines = 1;
      } else if (entry.two && width * 0.85 >= entry.half * 6.6 && height >= 32) {
        lines = 2;
      }
      var box = lines === null ? null : labelBox(entry, lines, 0, 0);
      var fits = box !== null && box[0] >= 0 && box[1] >= 0 && box[2] <= size.x && box[3] <= size.y && !collides(box, placed);
      if (fits) {
        placed.push(box);
        showLabel(entry, lines, 0, 0);
      }
      entry.text.classList.toggle("cm-hidden", !fits);
    });
  }
  map.on("zoomend moveend", fitLabels);
  map.on("zoomend moveend", placePins);  // after the names: the pins go where no name is

  /* ---- district search: every name the matcher knows ---- */
  var input = document.getElementById("cm-search-input");
  var results = document.getElementById("cm-search-results");
  var status = document.getElementById("cm-search-status");
  var highlighted = null;
  var keys = districts.map(function (d, i) { return [fold(d.name), i]; });
  data.names.variants.forEach(function (v) { keys.push([fold(v[0]), v[1]]); });

  function matches(query) {
    var q = fold(query);
    if (!q) { return []; }
    var best = {};
    keys.forEach(function (k) {
      var at = k[0].indexOf(q);
      if (at < 0) { return; }
      var rank = k[0] === q ? 0 : at === 0 ? 1 : 2;
      if (!(k[1] in best) || rank < best[k[1]]) { best[k[1]] = rank; }
    });
    var found = Object.keys(best).map(function (i) { return [best[i], districts[i].name, Number(i)]; });
    found.sort(function (a, b) { return a[0] - b[0] || a[1].localeCompare(b[1]); });
    return found.slice(0, 8).map(function (f) { return f[2]; });
  }
  function outside(query) {
    // A district the gazetteer knows beyond the study area (Callao, for Lima).
    var q = fold(query);
    if (!q) { return null; }
    var hit = null;
    data.names.outside.forEach(function (names) {
      names.forEach(function (n) {
        var key = fold(n);
        if (key === q || (!hit && key.indexOf(q) === 0)) { hit = names[0]; }
      });
    });
    return hit;
  }

  var openPopupShape = null;
  map.on("popupopen", function (event) { openPopupShape = event.popup; });
  map.on("popupclose", function () { openPopupShape = null; });

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
      input.focus();
      return;
    }
    shapes[i].getElement().classList.add("cm-highlight");
    shapes[i].bringToFront();
    // The popup opens once the zoom has ended, so that its panning starts from the new view;
    // focus moves into it, and Esc brings it back to the search.
    map.once("moveend", function () {
      shapes[i].openPopup(shapes[i].getCenter());
      var content = shapes[i].getPopup().getElement().querySelector(".leaflet-popup-content");
      content.setAttribute("tabindex", "-1");
      content.setAttribute("role", "dialog");
      content.setAttribute("aria-label", districts[i].name);
      content.focus();
    });
    var c = covered();
    map.fitBounds(shapes[i].getBounds(), {
      maxZoom: 13, paddingTopLeft: [40, c.top + 40], paddingBottomRight: [c.right + 40, c.bottom + 40],
    });
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
    var away = found.length ? null : outside(input.value);
    status.textContent = !input.value || found.length ? "" : away ? fill(T.outside_area, { name: away }) : T.no_match;
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      var found = matches(input.value);
      if (found.length) { select(found[0]); }
    }
  });
  // Captured before Leaflet's own Esc handling, which would close the popup and leave the
  // focus on a removed element.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && openPopupShape) {
      map.closePopup();
      input.focus();
    }
  }, true);

  /* ---- the phone's panels: the layer list opens and closes ---- */
  var layersToggle = document.getElementById("cm-layers-toggle");
  var layersBox = document.getElementById("cm-layers-box");
  function openLayers(open) {
    layersBox.classList.toggle("cm-open", open);
    layersToggle.setAttribute("aria-expanded", String(open));
  }
  layersToggle.addEventListener("click", function () { openLayers(!layersBox.classList.contains("cm-open")); });
  form.addEventListener("change", function (event) {
    if (phone.matches && event.target.name === "service") { openLayers(false); }
  });

  /* ---- basemap switch ---- */
  var basemapSwitch = document.getElementById("cm-basemap");
  basemapSwitch.addEventListener("change", function () { setBasemap(basemapSwitch.checked); restyle(); renderLegend(); });

  /* ---- print: the whole area, title, layer, legend and sources on one landscape page ---- */
  var beforePrint = null;
  function preparePrint() {
    if (beforePrint) { return; }
    beforePrint = { center: map.getCenter(), zoom: map.getZoom(), legend: legendFrame.classList.contains("cm-open") };
    var layer = data.layers[active];
    var today = new Date().toISOString().slice(0, 10);
    document.getElementById("cm-print-meta").textContent = layer.name + " (" + layer.acronym + ") · " +
      fill(T.run_on, { date: data.run_date }) + " · " + fill(T.printed_on, { date: today });
    document.body.classList.add("cm-printing");
    openLegend(true);
    map.invalidateSize({ animate: false });
    var c = covered();
    map.fitBounds(areaBounds, { animate: false, paddingTopLeft: [10, 10], paddingBottomRight: [c.right + 10, 10] });
  }
  function restoreView() {
    if (!beforePrint) { return; }
    document.body.classList.remove("cm-printing");
    map.invalidateSize({ animate: false });
    openLegend(beforePrint.legend);
    map.setView(beforePrint.center, beforePrint.zoom, { animate: false });
    beforePrint = null;
  }
  window.addEventListener("beforeprint", preparePrint);
  window.addEventListener("afterprint", restoreView);
  document.getElementById("cm-print").addEventListener("click", function () { preparePrint(); window.print(); });

  /* ---- image of the current view (PNG): the page draws its districts again into a canvas,
     with the title, the legend and the sources; nothing is fetched, no library is used.
     The image has the window's size and aspect, centred on the map's view. ---- */
  var IMAGE_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  function wrapText(ctx, text, width) {
    var lines = [], line = "";
    String(text).split(" ").forEach(function (word) {
      var next = line ? line + " " + word : word;
      if (line && ctx.measureText(next).width > width) { lines.push(line); line = word; } else { line = next; }
    });
    if (line) { lines.push(line); }
    return lines;
  }
  function hatchPattern(ctx) {
    var tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    var t = tile.getContext("2d");
    t.fillStyle = "#ffffff";
    t.fillRect(0, 0, 8, 8);
    t.strokeStyle = S.gap.stripes;
    t.lineWidth = 2;
    t.beginPath();
    [[-4, 4, 4, -4], [0, 8, 8, 0], [4, 12, 12, 4]].forEach(function (l) { t.moveTo(l[0], l[1]); t.lineTo(l[2], l[3]); });
    t.stroke();
    return ctx.createPattern(tile, "repeat");
  }
  function tracePolygons(ctx, geometry, project) {
    var polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    ctx.beginPath();
    polygons.forEach(function (rings) {
      rings.forEach(function (ring) {
        ring.forEach(function (p, k) {
          var xy = project(p);
          if (k) { ctx.lineTo(xy.x, xy.y); } else { ctx.moveTo(xy.x, xy.y); }
        });
        ctx.closePath();
      });
    });
  }
  function paintDistricts(ctx, project) {
    var layer = data.layers[active], hatch = hatchPattern(ctx);
    ctx.lineJoin = "round";
    contextFeatures.forEach(function (feature) {
      tracePolygons(ctx, feature.geometry, project);
      ctx.fillStyle = "#f4f1ea";
      ctx.fill("evenodd");
      ctx.strokeStyle = "#a9a9a9";
      ctx.lineWidth = 1;
      ctx.stroke();
    });
    // gaps last, so that their dashed outline is not hidden, as on the page
    var ordered = areaFeatures.slice().sort(function (a, b) {
      return (layer.status.charAt(byUbigeo[a.properties.ubigeo]) === "g") - (layer.status.charAt(byUbigeo[b.properties.ubigeo]) === "g");
    });
    ordered.forEach(function (feature) {
      var style = styleOf(layer, byUbigeo[feature.properties.ubigeo]);
      tracePolygons(ctx, feature.geometry, project);
      ctx.globalAlpha = style.fillOpacity;
      ctx.fillStyle = style.fillColor === GAP_STYLE.fillColor ? hatch : style.fillColor;
      ctx.fill("evenodd");
      ctx.globalAlpha = 1;
      ctx.strokeStyle = style.color;
      ctx.lineWidth = style.weight;
      ctx.setLineDash(style.dashArray ? style.dashArray.split(" ").map(Number) : []);
      ctx.stroke();
      ctx.setLineDash([]);
    });
  }
  function paintLabels(ctx, offset) {
    leaders.eachLayer(function (line) {
      var a = map.latLngToContainerPoint(line.ends[0]).add(offset), b = map.latLngToContainerPoint(line.ends[1]).add(offset);
      ctx.beginPath();
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
      ctx.strokeStyle = "#333333";
      ctx.lineWidth = 1;
      ctx.stroke();
    });
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    labels.forEach(function (entry) {
      if (entry.text.classList.contains("cm-hidden")) { return; }
      var context = entry.text.classList.contains("cm-label-context");
      var c = map.latLngToContainerPoint(entry.point).add([entry.dx, entry.dy]);
      var lines = entry.text.textContent.split("\n");
      var gap = entry.text.classList.contains("cm-label-gap"), small = entry.text.classList.contains("cm-label-small");
      ctx.font = (context ? "italic 400 " : gap ? "700 " : "600 ") + (small ? "9px " : "11px ") + IMAGE_FONT;
      lines.forEach(function (line, k) {
        var y = c.y + offset.y + (k - (lines.length - 1) / 2) * (small ? 11 : 14);
        ctx.strokeStyle = "#ffffff";
        ctx.lineWidth = 3;
        ctx.strokeText(line, c.x + offset.x, y);
        ctx.fillStyle = context ? "#555555" : "#111111";
        ctx.fillText(line, c.x + offset.x, y);
      });
    });
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
  }
  function paintSites(ctx, project) {
    (data.layers[active].sites || []).forEach(function (site) {
      var xy = project([site.lon, site.lat]);
      ctx.beginPath();
      ctx.arc(xy.x, xy.y, 5, 0, 2 * Math.PI);
      ctx.fillStyle = "#d95f0e";
      ctx.fill();
      ctx.strokeStyle = "#ffffff";
      ctx.lineWidth = 2;
      ctx.stroke();
    });
  }
  // The proposed sites of build --plan as on the page: numbered diamonds, or for a confidential
  // service its districts outlined (the data hold no point of them).
  function paintProposals(ctx, project) {
    var own = proposals && proposals.layers[active];
    if (!own) { return; }
    own.sites.forEach(function (site) {
      if (own.confidential) {
        var feature = areaFeatures.filter(function (f) { return byUbigeo[f.properties.ubigeo] === site.district; })[0];
        if (!feature) { return; }
        tracePolygons(ctx, feature.geometry, project);
        ctx.strokeStyle = proposals.colour;
        ctx.lineWidth = 4;
        ctx.stroke();
        var point = districts[site.district].point;
        if (!point) { return; }
        // its rank in a round badge above its name, as on the page
        var at = project([point[1], point[0]]);
        var badge = pinPlaces[site.rank] || { x: 0, y: -(PIN.gap + 11) };
        at = { x: at.x + badge.x, y: at.y + badge.y };
        ctx.beginPath();
        ctx.arc(at.x, at.y, 9.5, 0, 2 * Math.PI);
        ctx.fillStyle = "#ffffff";
        ctx.fill();
        ctx.strokeStyle = proposals.colour;
        ctx.lineWidth = 3;
        ctx.stroke();
        paintRank(ctx, site.rank, at.x, at.y, proposals.colour);
        return;
      }
      // the diamond on its stem above the point, beside the district's name, as on the page
      var xy = project([site.lon, site.lat]);
      var place = pinPlaces[site.rank] || { x: 0, y: -(PIN.gap + PIN.stem + PIN.size / 2), dx: 0, dy: -1, gap: PIN.gap };
      ctx.beginPath();
      ctx.moveTo(xy.x + place.dx * place.gap, xy.y + place.dy * place.gap);
      ctx.lineTo(xy.x + place.dx * (place.gap + PIN.stem), xy.y + place.dy * (place.gap + PIN.stem));
      ctx.strokeStyle = "#2d1640";
      ctx.lineWidth = 2;
      ctx.stroke();
      paintDiamond(ctx, xy.x + place.x, xy.y + place.y, 11);
      paintRank(ctx, site.rank, xy.x + place.x, xy.y + place.y, "#ffffff");
    });
  }
  function paintRank(ctx, rank, x, y, colour) {
    ctx.font = "700 11px " + IMAGE_FONT;
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    ctx.fillStyle = colour;
    ctx.fillText(String(rank), x, y);
    ctx.textAlign = "left";
    ctx.textBaseline = "alphabetic";
  }
  function paintDiamond(ctx, x, y, r) {
    ctx.beginPath();
    ctx.moveTo(x, y - r);
    ctx.lineTo(x + r, y);
    ctx.lineTo(x, y + r);
    ctx.lineTo(x - r, y);
    ctx.closePath();
    ctx.fillStyle = proposals.colour;
    ctx.fill();
    ctx.strokeStyle = "#ffffff";
    ctx.lineWidth = 2;
    ctx.stroke();
  }
  function paintBox(ctx, x, y, w, h) {
    ctx.fillStyle = "rgba(255, 255, 255, 0.95)";
    ctx.fillRect(x, y, w, h);
    ctx.strokeStyle = "#999999";
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
  }
  // Lines of a box, measured before they are drawn: [font, colour, text, swatch entry or null].
  function boxLines(ctx, items, width) {
    var lines = [];
    items.forEach(function (item) {
      ctx.font = item[0];
      var indent = item[3] ? 26 : 0;
      wrapText(ctx, item[2], width - indent).forEach(function (text, k) {
        lines.push({ font: item[0], colour: item[1], text: text, entry: k ? null : item[3], indent: indent });
      });
    });
    return lines;
  }
  function paintLines(ctx, lines, x, y, hatch) {
    lines.forEach(function (line, k) {
      var top = y + k * 16;
      if (line.entry) { paintSwatch(ctx, line.entry, x, top + 2, hatch); }
      ctx.font = line.font;
      ctx.fillStyle = line.colour;
      ctx.fillText(line.text, x + line.indent, top + 12);
    });
  }
  function paintSwatch(ctx, entry, x, y, hatch) {
    if (entry.kind === "proposal") {
      paintDiamond(ctx, x + 9, y + 6, 7);
      return;
    }
    if (entry.kind === "proposal-district") {
      ctx.strokeStyle = proposals.colour;
      ctx.lineWidth = 3;
      ctx.strokeRect(x + 1.5, y + 1.5, 15, 9);
      return;
    }
    if (entry.kind === "site") {
      ctx.beginPath();
      ctx.arc(x + 9, y + 6, 5, 0, 2 * Math.PI);
      ctx.fillStyle = "#d95f0e";
      ctx.fill();
      return;
    }
    ctx.fillStyle = entry.kind === "gap" ? hatch : entry.kind === "gap-outline" ? "#ffffff" : entry.color;
    ctx.fillRect(x, y, 18, 12);
    ctx.strokeStyle = entry.kind === "gap" || entry.kind === "gap-outline" ? S.gap.line : "#555555";
    ctx.setLineDash(entry.kind === "gap" || entry.kind === "gap-outline" ? [4, 3] : []);
    ctx.lineWidth = 1;
    ctx.strokeRect(x + 0.5, y + 0.5, 17, 11);
    ctx.setLineDash([]);
  }
  function sourceLines() {
    var layer = data.layers[active];
    var lines = [T.source + ": " + layer.source, T.role_boundaries + ": " + data.boundaries];
    if (data.population) { lines.push(T.role_population + ": " + data.population); }
    // roads{
    if (data.roads) { lines = lines.concat(data.roads.sources); }
    // }roads
    if (tiles) { lines.push(T.image_basemap); }
    lines.push(fill(T.run_on, { date: data.run_date }) + " · " + fill(T.image_on, { date: new Date().toISOString().slice(0, 10) }));
    return lines;
  }
  function paintPanels(ctx, width, height) {
    var layer = data.layers[active], hatch = hatchPattern(ctx), pad = 10;
    var bold = "600 16px " + IMAGE_FONT, normal = "12px " + IMAGE_FONT, small = "11px " + IMAGE_FONT;
    var titleWidth = Math.min(width - 2 * pad, 560);
    var title = boxLines(ctx, [[bold, "#222222", data.title], [normal, "#222222", layer.name + " (" + layer.acronym + ")"]],
      titleWidth - 2 * pad);
    paintBox(ctx, pad, pad, titleWidth, title.length * 16 + 2 * pad);
    paintLines(ctx, title, 2 * pad, 2 * pad, hatch);
    var legendWidth = width < 500 ? width - 2 * pad : 320;
    var items = [["600 13px " + IMAGE_FONT, "#222222", summaryLine(layer)]];
    if (measureNote(layer)) { items.push([normal, "#444444", measureNote(layer)]); }
    legendEntries(layer).forEach(function (entry) {
      var n = formatNumber(entry.n) + " " + (entry.units || (entry.n === 1 ? T.unit_district : T.unit_districts));
      items.push([normal, "#222222", entry.label + " · " + n, entry]);
    });
    var own = proposals && proposals.layers[active];
    if (own) {
      var kind = own.confidential ? "proposal-district" : "proposal";
      var label = own.confidential ? proposals.labels.district : proposals.labels.site;
      var n = own.sites.length;
      var count = formatNumber(n) + " " + (own.confidential ? (n === 1 ? T.unit_district : T.unit_districts) : proposals.labels.sites);
      items.push([normal, "#222222", label + " · " + count, { kind: kind }]);
    }
    if (layer.scale_note) { items.push([small, "#444444", layer.scale_note]); }
    // roads{
    if (layer.roads_note) { items.push([small, "#444444", layer.roads_note]); }
    // }roads
    if (layer.confidential) { items.push([small, "#444444", T.confidential]); }
    sourceLines().forEach(function (line) { items.push([small, "#555555", line]); });
    var legend = boxLines(ctx, items, legendWidth - 2 * pad);
    var legendHeight = legend.length * 16 + 2 * pad;
    paintBox(ctx, width - legendWidth - pad, height - legendHeight - pad, legendWidth, legendHeight);
    paintLines(ctx, legend, width - legendWidth, height - legendHeight, hatch);
  }
  function viewImage() {
    var width = window.innerWidth, height = window.innerHeight, ratio = Math.max(2, window.devicePixelRatio || 1);
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    var size = map.getSize();
    var offset = L.point((width - size.x) / 2, (height - size.y) / 2);  // the map's view, centred
    function project(p) { return map.latLngToContainerPoint([p[1], p[0]]).add(offset); }
    ctx.fillStyle = getComputedStyle(map.getContainer()).backgroundColor;  // the sea
    ctx.fillRect(0, 0, width, height);
    paintDistricts(ctx, project);
    paintLabels(ctx, offset);
    paintSites(ctx, project);
    paintProposals(ctx, project);
    paintPanels(ctx, width, height);
    return canvas;
  }
  function saveImage() {
    viewImage().toBlob(function (blob) {
      var link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = fill(T.image_file, { code: active });
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(link.href); }, 60000);
    }, "image/png");
  }
  document.getElementById("cm-image").addEventListener("click", saveImage);

  /* ---- first view: the layer named in the address, or the default ---- */
  setLayer(layerFromHash() || data.default_layer || codes[0]);
  if (data.basemap.on) { basemapSwitch.checked = true; setBasemap(true); restyle(); renderLegend(); }
  fitArea(false);
  fitLabels();
  phone.addEventListener("change", function () { openLegend(!phone.matches); fitArea(false); });
  map.on("resize", updatePopupPadding);
  document.body.dataset.ready = "true";
})();
