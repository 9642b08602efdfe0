// Registration pages: "Select all councils" without a round trip.
//
// The button is a real submit button (name="select_all"), so without
// JavaScript the server ticks every council and shows the page again. With
// JavaScript we tick them here instead, keep focus on the button, and tell
// screen reader users what happened through the polite live region.

for (const button of document.querySelectorAll("[data-select-all]")) {
  button.addEventListener("click", (event) => {
    event.preventDefault();
    const name = button.getAttribute("data-select-all");
    const boxes = document.querySelectorAll(`input[type="checkbox"][name="${name}"]`);
    for (const box of boxes) {
      box.checked = true;
    }
    // Show what was ticked: open every area of the grouped council picker.
    for (const area of document.querySelectorAll("details.app-council-area")) {
      area.open = true;
    }
    const status = document.getElementById(button.getAttribute("aria-describedby") || "");
    if (status) {
      status.textContent = `All ${boxes.length} councils selected`;
    }
  });
}
