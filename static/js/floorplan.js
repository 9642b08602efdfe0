// The organiser's floor plan: drag an approved exhibitor onto a free stand to
// allocate it. The drop fills in and submits an ordinary form (with its CSRF
// field), so the server answers exactly as for the "Give this stand to" form,
// which is how keyboard users and browsers without drag and drop allocate.

const figure = document.querySelector("[data-module='app-floorplan']");
const form = document.getElementById("floorplan-drop");

function allowDrops(stand) {
  stand.addEventListener("dragover", (event) => {
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    stand.classList.add("app-floorplan__stand--target");
  });
  stand.addEventListener("dragleave", () => {
    stand.classList.remove("app-floorplan__stand--target");
  });
  stand.addEventListener("drop", (event) => {
    event.preventDefault();
    const exhibitorId = event.dataTransfer.getData("text/plain");
    if (!/^\d+$/.test(exhibitorId)) return;
    form.action = `${figure.dataset.dropAction}${stand.dataset.standId}/allocate`;
    form.elements.exhibitor.value = exhibitorId;
    form.submit();
  });
}

if (figure && form) {
  document.querySelectorAll("[data-exhibitor-id][draggable='true']").forEach((chip) => {
    chip.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData("text/plain", chip.dataset.exhibitorId);
      event.dataTransfer.effectAllowed = "move";
      figure.classList.add("app-floorplan--dragging");
    });
    chip.addEventListener("dragend", () => figure.classList.remove("app-floorplan--dragging"));
  });
  figure.querySelectorAll("[data-stand-free='true']").forEach(allowDrops);
}
