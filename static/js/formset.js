// Template forms: add, remove and reorder rows of a Django formset in place (no inline script: CSP).
(function () {
  "use strict";

  function rows(container) {
    return Array.prototype.slice.call(container.querySelectorAll(":scope > [data-row]"));
  }

  function renumber(container) {
    var n = 0;
    rows(container).forEach(function (row) {
      var deleted = row.querySelector("input[name$='-DELETE']");
      var order = row.querySelector("input[name$='-ORDER']");
      var label = row.querySelector("[data-row-number]");
      if (deleted && deleted.checked) {
        row.classList.add("is-deleted");
        if (label) label.textContent = "–";
        return;
      }
      row.classList.remove("is-deleted");
      n += 1;
      if (order) order.value = n;
      if (label) label.textContent = n;
    });
  }

  function addRow(prefix) {
    var container = document.querySelector("[data-formset='" + prefix + "']");
    var template = document.getElementById(prefix + "-empty");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    if (!container || !template || !total) return;
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div");
    holder.innerHTML = html.trim();
    var row = holder.firstElementChild;
    container.appendChild(row);
    total.value = index + 1;
    renumber(container);
    var first = row.querySelector("input[type=text], textarea, select");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add]");
    if (add) {
      event.preventDefault();
      addRow(add.getAttribute("data-add"));
      return;
    }
    var move = event.target.closest("[data-move]");
    if (move) {
      event.preventDefault();
      var row = move.closest("[data-row]");
      var container = row.parentElement;
      if (move.getAttribute("data-move") === "up" && row.previousElementSibling) {
        container.insertBefore(row, row.previousElementSibling);
      } else if (move.getAttribute("data-move") === "down" && row.nextElementSibling) {
        container.insertBefore(row.nextElementSibling, row);
      }
      renumber(container);
      move.focus();
    }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches("input[name$='-DELETE']")) {
      renumber(event.target.closest("[data-formset]"));
    }
  });

  // After a failed save the rows come back in their original order with the positions the user
  // chose: put them in that order before numbering, so a move is never lost.
  function sortByOrder(container) {
    var list = rows(container);
    var keyed = list.map(function (row, index) {
      var order = row.querySelector("input[name$='-ORDER']");
      var value = order && order.value !== "" ? parseInt(order.value, 10) : Infinity;
      return { row: row, value: isNaN(value) ? Infinity : value, index: index };
    });
    keyed.sort(function (a, b) { return a.value - b.value || a.index - b.index; });
    keyed.forEach(function (entry) { container.appendChild(entry.row); });
  }

  document.querySelectorAll("[data-formset]").forEach(function (container) {
    sortByOrder(container);
    renumber(container);
  });
})();
