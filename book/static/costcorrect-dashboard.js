// Claims dashboard: filter rows by the <select> menus and sort by clicking a column header.
// Plain JavaScript, served locally (no CDN); does nothing on pages without a dashboard.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".cc-dashboard").forEach(function (dash) {
    var table = dash.querySelector("table.cc-claims");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var selects = dash.querySelectorAll("select[data-filter]");
    var shown = dash.querySelector(".cc-shown");
    var noun = dash.dataset.noun || "records";
    function apply() {
      var n = 0;
      rows.forEach(function (row) {
        var ok = true;
        selects.forEach(function (sel) {
          if (sel.value && row.dataset[sel.dataset.filter] !== sel.value) ok = false;
        });
        row.hidden = !ok;
        if (ok) n += 1;
      });
      if (shown) shown.textContent = n + " of " + rows.length + " " + noun + " shown";
    }
    selects.forEach(function (sel) { sel.addEventListener("change", apply); });
    table.querySelectorAll("thead th button").forEach(function (btn, col) {
      btn.addEventListener("click", function () {
        var th = btn.parentElement;
        var asc = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var sorted = rows.slice().sort(function (a, b) {
          var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
          var nx = parseFloat(x), ny = parseFloat(y);
          var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
          return asc ? c : -c;
        });
        sorted.forEach(function (r) { body.appendChild(r); });
      });
    });
    apply();
  });
});
