/**
 * "Is every level in it?": what facilitators and leadership should notice about
 * representation (a level nobody came from, a group without proposals or without words in
 * the draft, a clause that divides the levels, whom the mission forgets, a clause without a
 * success measure). Every list with `data-notices-url` is filled from the server every 20
 * seconds and whenever the page comes back into view: on the console, and on the projector
 * while the facilitator shows it there (a list inside a hidden part is not fetched). The
 * figures are counted from the whole workshop, so they are read, not pushed.
 * `data-notices-limit` keeps a wall screen to a few lines, then `data-notices-more` ("and
 * {n} more", translated by the page); `data-notices-empty`
 * names the element that says there is nothing to notice; `data-notices-fresh` marks a list
 * the page was served with already filled (the console's), so it is not fetched again at once.
 */
const EVERY_MS = 20000;
const lists = [...document.querySelectorAll("[data-notices-url]")];

function lines(list, notices) {
  const limit = Number(list.dataset.noticesLimit) || notices.length;
  const shown = notices.slice(0, limit);
  const more = notices.length - shown.length;
  if (more > 0) shown.push((list.dataset.noticesMore || "+{n}").replace("{n}", String(more)));
  return shown;
}

async function refresh(list) {
  if (document.hidden || list.closest("[hidden]")) return;
  try {
    const response = await fetch(list.dataset.noticesUrl, { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const wanted = lines(list, (await response.json()).notices);
    if ([...list.children].map((li) => li.textContent).join("\n") !== wanted.join("\n")) {
      list.replaceChildren(
        ...wanted.map((text) => {
          const item = document.createElement("li");
          item.textContent = text;
          return item;
        }),
      );
    }
    const empty = list.dataset.noticesEmpty && document.querySelector(list.dataset.noticesEmpty);
    if (empty) empty.hidden = wanted.length > 0;
  } catch {
    // Offline for a moment: the next round catches up.
  }
}

const refreshAll = () => lists.forEach(refresh);
if (lists.length) {
  // A list the page was served with (`data-notices-fresh`) waits for the next round.
  lists.filter((list) => !("noticesFresh" in list.dataset)).forEach(refresh);
  setInterval(refreshAll, EVERY_MS);
  document.addEventListener("visibilitychange", refreshAll);
  // The projector's part appears when the facilitator shows it: fetch at once (only the
  // list's own ancestors are watched, not every live change on the page).
  const shown = new MutationObserver(refreshAll);
  for (const list of lists) {
    for (let part = list.parentElement; part && part !== document.body; part = part.parentElement) {
      shown.observe(part, { attributes: true, attributeFilter: ["hidden"] });
    }
  }
}
