// The whole stylesheet for the screen once it has arrived: templates/_stylesheets.html links it for print first,
// so that it does not hold up the first paint (the part that paint needs is inline in the page).
(function () {
  var link = document.querySelector('link[data-stylesheet]');
  if (!link) return;
  var apply = function () { link.media = 'all'; };
  if (link.sheet) apply(); else link.addEventListener('load', apply);
})();
