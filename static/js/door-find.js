// Manual check-in and walk-up forms: say which door, from the name the
// scanner stored on this device (static/js/scanner.js), so the log and the
// dashboard count manual check-ins at the right door.

const door = localStorage.getItem("fairground.door") || "";
for (const input of document.querySelectorAll("input[data-door]")) {
  if (!input.value) input.value = door;
}

// The walk-up ticket page's print button (templates/registrations/door/ticket.html).
for (const button of document.querySelectorAll("button[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
