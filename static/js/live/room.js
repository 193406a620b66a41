/**
 * The frame of every live page: the workshop's title and brief, the phase (the stepper and
 * the sections shown per phase, `data-when`), the connection line and who is here (presence
 * counts and bars by level and department). These parts follow the workshop as a whole
 * rather than any round or proposal, so they are drawn here, first, before the views that
 * live inside the sections they show or hide.
 */
import { $, T, root } from "./page.js";
import { currentRound } from "./state.js";
import { el, fmt, keyed, setHTML, setText } from "./dom.js";

export function setConnection(online) {
  const node = $("#connection");
  if (node) {
    setText(node, online ? "" : T.reconnecting);
    node.classList.toggle("offline", !online);
  }
  root.dataset.connected = online ? "yes" : "no";
}

/** Horizontal bars, one per key with a count, in ``order``, reusing the rows drawn before. */
function drawBars(container, counts, order) {
  const keys = order.filter((k) => counts[k]);
  const max = Math.max(1, ...keys.map((k) => counts[k]));
  if (!container._empty) container._empty = el("p", { class: "empty", text: T.nobody_online });
  keyed(container, keys, {
    key: (k) => k,
    create: (k) => {
      const view = { fill: el("span", { class: "bar-fill" }), value: el("span", { class: "bar-value" }) };
      view.node = el("div", { class: "bar-row" }, el("span", { class: "bar-label", text: k }),
        el("span", { class: "bar" }, view.fill), view.value);
      return view;
    },
    update: (view, k) => {
      view.fill.style.width = (100 * counts[k] / max) + "%";
      setText(view.value, String(counts[k]));
    },
    empty: container._empty,
  });
}

/** Whether the room works on the draft now (a refine, consent, finalise or measures round,
 * or the draft phase between rounds): the console shows the draft before the proposals. */
function draftTime(state) {
  const round = currentRound(state);
  if (round) return ["refine", "consent", "finalise", "measures"].includes(round.kind);
  return state.workshop.phase === "draft";
}

export function createRoom() {
  const title = $("#workshop-title");
  const brief = $("#brief");
  const phases = [...root.querySelectorAll("#phase-list li")];
  const sections = [...root.querySelectorAll("[data-when]")];
  const presenceLines = [...root.querySelectorAll("[data-presence-line]")];
  const levels = $("#presence-levels");
  const departments = $("#presence-departments");
  const draftCard = $(".console-side > .side-draft");
  const proposalsCard = $(".console-side > .side-proposals");

  /** The console's side column: the card the room works on now comes first, in the page's
   * order itself (what a keyboard and a screen reader follow), moving the card the focus is
   * not in. */
  function putFirst(card) {
    const other = card === draftCard ? proposalsCard : draftCard;
    if (card.compareDocumentPosition(other) & Node.DOCUMENT_POSITION_FOLLOWING) return;
    if (other.contains(document.activeElement)) card.parentNode.insertBefore(card, other);
    else other.parentNode.insertBefore(other, card.nextSibling);
  }

  return {
    update(state) {
      const phase = state.workshop.phase;
      root.dataset.phase = phase;
      if (draftCard && proposalsCard) putFirst(draftTime(state) ? draftCard : proposalsCard);
      if (title) setText(title, state.workshop.title);
      if (brief) {
        setHTML(brief, state.workshop.brief_html);
        const fold = brief.closest("details");
        if (fold) fold.hidden = !state.workshop.brief_html;
      }
      for (const li of phases) {
        const current = li.dataset.phase === phase;
        li.classList.toggle("current", current);
        if (current) li.setAttribute("aria-current", "step");
        else li.removeAttribute("aria-current");
      }
      for (const section of sections) section.hidden = !section.dataset.when.split(" ").includes(phase);

      const p = state.presence;
      for (const line of presenceLines) setText(line, fmt(T.online, { online: p.online, joined: p.joined }));
      if (levels) drawBars(levels, p.by_level, state.workshop.levels);
      if (departments) {
        const names = state.workshop.departments.length
          ? state.workshop.departments : Object.keys(p.by_department || {});
        drawBars(departments, p.by_department || {}, names);
      }
    },
  };
}
