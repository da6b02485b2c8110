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

// The Audit log tab: new events appear at the top as they happen (the page is complete
// without this). A ticket minted with the page's session opens the socket: no credential in
// the URL but that single-use, 30-second ticket.
function auditCell(row, text, className) {
  const cell = row.insertCell();
  if (className) cell.className = className;
  cell.textContent = text;
  return cell;
}

function auditRow(tbody, event) {
  const row = tbody.insertRow(0);
  row.dataset.action = event.action;
  const when = document.createElement("time");
  when.dateTime = event.created_at;
  when.textContent = new Date(event.created_at).toLocaleString();
  row.insertCell().append(when);
  auditCell(row, event.action_label);
  auditCell(row, event.key_prefix || "—");
  auditCell(row, event.actor_email || "system");
  const details = Object.entries(event.details || {}).map(([name, value]) =>
    `${name}: ${Array.isArray(value) ? value.join(", ") : value ?? "—"}`);
  auditCell(row, details.join("; "), "col-optional details");
  auditCell(row, event.ip || "—", "col-optional");
}

async function followAudit(container) {
  const response = await fetch(container.dataset.ticketUrl, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": container.dataset.csrf, "Content-Type": "application/json" },
    body: "{}",
  });
  if (!response.ok) return;
  const { ticket } = await response.json();
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  const url = `${scheme}//${window.location.host}${container.dataset.socketPath}&ticket=${encodeURIComponent(ticket)}`;
  const socket = new WebSocket(url);
  const tbody = container.querySelector("tbody");
  socket.addEventListener("open", () => {
    const status = document.querySelector("[data-live-status]");
    if (status) status.hidden = false;
    container.dataset.liveAudit = "connected";
  });
  socket.addEventListener("message", (message) => {
    const data = JSON.parse(message.data);
    if (data.type !== "audit_event") return;
    document.querySelector("[data-live-empty]")?.remove();
    auditRow(tbody, data.event);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  const container = document.querySelector("[data-live-audit]");
  if (container && "WebSocket" in window) followAudit(container).catch(() => {});
});
