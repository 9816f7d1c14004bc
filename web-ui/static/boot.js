// Starts the app. A file of its own, not an inline script: the Content-Security-Policy allows
// scripts from this origin only.
import init from '/onair_web_ui.js';

init().catch((e) => {
  console.error(e);
  const boot = document.querySelector('.boot p');
  if (boot) boot.textContent = 'OnAir could not start in this browser.';
});
