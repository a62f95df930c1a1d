// A "Print" button on printable pages: <button data-print>. (No inline script: the CSP forbids it.)
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
