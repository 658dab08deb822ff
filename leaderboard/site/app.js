// realgap leaderboard: sorts the server-rendered tables. Reads the data block
// (application/json) and only moves existing rows or sets textContent: no
// submitted string is ever parsed as HTML. Works from file:// (no fetch).
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('board-data').textContent);
  var bySlug = {};
  data.entries.forEach(function (e) { bySlug[e.slug] = e; });
  var familyMetric = 'realism';

  function stat(entry, key) {
    if (key.indexOf('family:') === 0) {
      var fam = entry.families[key.slice(7)];
      return fam ? fam[familyMetric] : null;
    }
    return entry.values[key] || null;
  }

  function sortValue(entry, key, type) {
    if (type === 'text') { return String(entry[key] || '').toLowerCase(); }
    var s = stat(entry, key);
    return s && typeof s.mean === 'number' ? s.mean : null;
  }

  function fmt(x) { return typeof x === 'number' ? x.toFixed(3) : '\u2013'; }

  function sortTable(table, key, dir) {
    var th = null;
    Array.prototype.forEach.call(table.querySelectorAll('th[data-key]'), function (h) {
      if (h.getAttribute('data-key') === key) { th = h; }
    });
    if (!th) { return; }
    var type = th.getAttribute('data-type');
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var sign = dir === 'asc' ? 1 : -1;
    rows.sort(function (ra, rb) {
      var a = bySlug[ra.getAttribute('data-slug')], b = bySlug[rb.getAttribute('data-slug')];
      var va = sortValue(a, key, type), vb = sortValue(b, key, type);
      if (va === null && vb !== null) { return 1; }   // missing values always last
      if (vb === null && va !== null) { return -1; }
      if (va !== null && va !== vb) { return va < vb ? -sign : sign; }
      return a.name.toLowerCase() < b.name.toLowerCase() ? -1 : 1;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
    Array.prototype.forEach.call(table.querySelectorAll('th[data-key]'), function (h) {
      h.setAttribute('aria-sort', 'none');
    });
    th.setAttribute('aria-sort', dir === 'asc' ? 'ascending' : 'descending');
    table.setAttribute('data-sort', key + ':' + dir);
  }

  function refreshFamilyCells() {
    Array.prototype.forEach.call(document.querySelectorAll('td[data-family]'), function (td) {
      var entry = bySlug[td.parentNode.getAttribute('data-slug')];
      var s = stat(entry, 'family:' + td.getAttribute('data-family'));
      td.querySelector('.mean').textContent = fmt(s && s.mean);
      td.querySelector('.ci').textContent = s && typeof s.ci_low === 'number'
        ? '[' + fmt(s.ci_low) + ', ' + fmt(s.ci_high) + ']' : '';
    });
    Array.prototype.forEach.call(document.querySelectorAll('th[data-family] .dir'), function (span) {
      span.textContent = familyMetric;
    });
  }

  var tables = Array.prototype.slice.call(document.querySelectorAll('table.board'));
  tables.forEach(function (table) {
    Array.prototype.forEach.call(table.querySelectorAll('th[data-key] button'), function (button) {
      button.addEventListener('click', function () {
        var th = button.parentNode;
        var key = th.getAttribute('data-key');
        var current = th.getAttribute('aria-sort');
        var first = th.getAttribute('data-type') === 'text' ? 'asc' : 'desc';
        var dir = current === 'none' ? first : (current === 'descending' ? 'asc' : 'desc');
        sortTable(table, key, dir);
      });
    });
  });

  var select = document.getElementById('family-metric');
  if (select) {
    select.addEventListener('change', function () {
      familyMetric = select.value;
      refreshFamilyCells();
      tables.forEach(function (table) {
        var s = (table.getAttribute('data-sort') || '').split(':');
        if (s[0].indexOf('family:') === 0) { sortTable(table, s[0], s[1]); }
      });
    });
  }

  // index.html?sort=aesthetic&dir=asc&family=symmetry opens the table sorted that way.
  var params = new URLSearchParams(window.location.search);
  if (select && data.metrics.indexOf(params.get('family')) >= 0) {
    select.value = params.get('family');
    familyMetric = select.value;
    refreshFamilyCells();
  }
  var key = params.get('sort');
  if (key) {
    var dir = params.get('dir') === 'asc' ? 'asc' : 'desc';
    tables.forEach(function (table) { sortTable(table, key, dir); });
  }
  document.documentElement.setAttribute('data-ready', '1');
}());
