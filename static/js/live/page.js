/**
 * The page this client runs on, read once: the #live root, the role it was rendered for
 * (`data-role`: participant, facilitator, leadership or projector), the translated strings
 * (the JSON catalogue `T` that templates/_live.html renders) and the values catalogue. It
 * exists so that every other module asks one place "who am I showing this to?" instead of
 * reading the DOM for it, and so the two page-level ways of speaking to people (the live
 * region that screen readers hear, and the notices a person reads) live in one place.
 */

export const root = document.querySelector("[data-live]");

/** The first element inside #live that matches ``selector`` (or null). */
export const $ = (selector) => (root ? root.querySelector(selector) : null);

const json = (id, fallback) => {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : fallback;
};

/** The translated strings (templates/_live.html). */
export const T = root ? json("i18n", {}) : {};

const role = root ? root.dataset.role : null; // participant | facilitator | leadership | projector
export const isParticipant = role === "participant";
export const isStaff = role !== "participant";
export const isFacilitator = role === "facilitator";
export const isProjector = role === "projector";
/** Screens that show what participants may see (the projector is the room's screen). */
export const publicView = role === "participant" || role === "projector";
export const workshopId = root ? Number(root.dataset.workshopId) : 0;

/** The workshop's values catalogue (participant and console pages embed it). */
export const catalogue = json("catalogue", []);
/** Every value's name in this page's language (every live page embeds them): the room's news
 * is sent alike to every screen, so it names values by key and each screen names them in its
 * own language, whoever caused the news. */
export const catalogueName = json("value-names", {});
/** A value's name in this page's language; ``fallback`` (the server's words) for a value in
 * someone's own words, which are the same in every language. */
export const valueName = (key, fallback) => catalogueName[key] ?? fallback;

/** Say something to screen readers (the polite live region #announcer). */
export function announce(text) {
  const node = $("#announcer");
  if (!node) return;
  node.textContent = "";
  window.setTimeout(() => { node.textContent = text; }, 50);
}

/** Tell the person something they should read (a notice), or announce it where there is none. */
export function notice(text) {
  const box = $("#notices");
  if (!box) return announce(text);
  const line = document.createElement("p");
  line.className = "flash";
  line.textContent = text;
  box.append(line);
}
