// Small progressive enhancements: every page works without this file.
function announce(button, text) {
  const label = button.dataset.label || button.textContent;
  button.dataset.label = label;
  button.textContent = text;
  setTimeout(() => { button.textContent = label; }, 1500);
}

function selectText(element) {
  const range = document.createRange();
  range.selectNodeContents(element);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

document.addEventListener("click", (event) => {
  const copy = event.target.closest("[data-copy-target]");
  if (!copy) return;
  const source = document.getElementById(copy.dataset.copyTarget);
  if (!source) return;
  const text = source.textContent.trim();
  // Without the clipboard API (plain HTTP off localhost), select the text for Ctrl+C.
  const fallback = () => { selectText(source); announce(copy, "Press Ctrl+C"); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(() => announce(copy, "Copied"), fallback);
  } else {
    fallback();
  }
});

document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
