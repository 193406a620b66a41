/**
 * "Is every level in it?" on the console: what leadership and facilitators should notice
 * about representation (a level nobody came from, a group without proposals or without
 * words in the draft, a clause that divides the levels, a clause without a success measure),
 * fetched from the server every 20 seconds and whenever the page comes back into view. The
 * figures behind it are counted from the whole workshop, so they are read, not pushed.
 */
const list = document.getElementById("representation-notices");
const empty = document.getElementById("representation-empty");
const EVERY_MS = 20000;

async function refresh() {
  if (!list || document.hidden) return;
  try {
    const response = await fetch(list.dataset.url, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const { notices } = await response.json();
    const shown = [...list.children].map((li) => li.textContent);
    if (shown.join("\n") !== notices.join("\n")) {
      list.replaceChildren(
        ...notices.map((text) => {
          const item = document.createElement("li");
          item.textContent = text;
          return item;
        }),
      );
    }
    if (empty) empty.hidden = notices.length > 0;
  } catch {
    // Offline for a moment: the next round of fetching catches up.
  }
}

if (list) {
  refresh();
  setInterval(refresh, EVERY_MS);
  document.addEventListener("visibilitychange", refresh);
}
