// The 打印 button of the printable 销号单: a static script, as the Content-Security-Policy allows no inline one.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });
});
