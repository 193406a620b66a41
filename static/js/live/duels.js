/**
 * Wording duels (docs/protocol.md §16): 2 to 5 wordings of a clause, or of some of its words,
 * put to a timed, blind vote. Each duel keeps its section from event to event (by id), with
 * its own countdown; a participant's choice or ranking in progress is only replaced by their
 * vote when their vote changes. Facilitators also get the form to start one on each clause
 * (a closed <details> whose half-filled wordings survive every live event) and the buttons
 * to close or cancel. While a duel is open, the first screen (the room's task header, the
 * console's run card: #duel-callout) says so, with its clause and time left, and takes the
 * keyboard to it: its clause may be far down the draft.
 */
import { T, announce, isFacilitator, isParticipant } from "./page.js";
import { diffNodes, el, fill, fmt, nextSerial, needsRedraw, plural, setText, syncChildren } from "./dom.js";
import { clockText, duelSecondsLeft } from "./clock.js";
import { documentClauses, documentFinal } from "./state.js";
import { clauseName } from "./names.js";

const isOriginal = (duel, option) => option.text.trim() === duel.original.trim();
const flat = (text) => String(text || "").replace(/\s+/g, " ").trim();

/** Whether the clause still says the words the duel started from (it may have been saved
 * since: then they are "the words when the duel started", not "now"). */
function stillSays(state, duel) {
  const clause = documentClauses(state).find((c) => c.key === duel.clause_key);
  return !!clause && flat(clause.body).includes(flat(duel.original));
}

/** A duel's wording as a voter reads it: clean text, with what it changes one click away. */
function wordingNodes(duel, option) {
  return [
    el("span", { class: "wording", text: option.text }),
    isOriginal(duel, option) ? el("span", { class: "tag tag-neutral duel-as-now", text: T.duel_as_now }) : null,
    isOriginal(duel, option) ? null : el("details", { class: "wording-diff" },
      el("summary", { text: T.show_difference }), el("p", { class: "diff" }, ...diffNodes(option.diff))),
  ];
}

/** A wording as its controls name it: its own words, as the list shows them (not "Wording 2",
 * which is its place when the duel began and nowhere on the screen once it is moved). */
const optionText = (duel, optionId) => {
  const option = duel.options.find((o) => o.id === optionId);
  return option ? option.text : "";
};

function duelResults(duel) {
  if (duel.status === "cancelled") return [el("p", { class: "meta", text: T.duel_cancelled })];
  if (duel.status !== "decided" || !duel.results) return [];
  const counts = duel.results.counts || {};
  const forms = duel.method === "ranked" ? T.duel_first_choices : T.duel_votes;
  const count = (option) => counts[String(option.id)] || 0;
  const order = [...duel.options].sort((a, b) =>
    Number(b.id === duel.winner_id) - Number(a.id === duel.winner_id) || count(b) - count(a));
  const list = el("ul", { class: "duel-result-list" }, ...order.map((option) => {
    const won = option.id === duel.winner_id;
    return el("li", { class: won ? "winner" : "not-chosen" },
      el("span", { class: won ? "tag tag-winner" : "tag tag-neutral", text: won ? T.duel_winner : T.duel_kept }),
      el("span", { class: "wording", text: option.text }),
      el("span", { class: "tally", text: plural(forms, count(option)) }));
  }));
  return [
    el("h5", { text: T.results }), list,
    el("p", { class: "meta", text: duel.version_made ? fmt(T.duel_applied, { n: duel.version_made }) : T.duel_no_change }),
  ];
}

/** ``ctx``: {command, dispatch}. */
export function createDuels({ command, dispatch }) {
  const duelViews = new Map(); // duel id -> view
  let focusOnStart = null; // the duel this screen just started: its heading takes the focus

  async function duelCommand(dv, name) {
    const ack = await command(name, { duel_id: dv.id });
    dv.error.textContent = ack.ok ? "" : ack.error.message;
    if (ack.ok) announce(name === "duel.close" ? T.duel_closed_ok : T.duel_cancelled);
  }

  function drawRanking(dv) {
    const duel = dv.duel;
    const active = document.activeElement;
    const focusWas = active && dv.rankList.contains(active) ? active.dataset.focusKey : null;
    dv.rankList.replaceChildren(...dv.draft.map((optionId, index) => {
      const option = duel.options.find((o) => o.id === optionId);
      const name = optionText(duel, optionId);
      const move = (to) => {
        const next = [...dv.draft];
        next.splice(index, 1);
        next.splice(to, 0, optionId);
        dv.draft = next;
        drawRanking(dv);
      };
      return el("li", { class: "duel-option" },
        ...wordingNodes(duel, option),
        el("span", { class: "agenda-tools" },
          el("button", { type: "button", class: "small", text: "↑", "aria-label": `${T.move_up}: ${name}`,
            "data-focus-key": `${optionId}-up`, disabled: index === 0 || dv.closed, onclick: () => move(index - 1) }),
          el("button", { type: "button", class: "small", text: "↓", "aria-label": `${T.move_down}: ${name}`,
            "data-focus-key": `${optionId}-down`, disabled: index === dv.draft.length - 1 || dv.closed,
            onclick: () => move(index + 1) })));
    }));
    if (focusWas) {
      const again = dv.rankList.querySelector(`[data-focus-key="${focusWas}"]`);
      const target = again && !again.disabled ? again
        : dv.rankList.querySelector(`[data-focus-key^="${focusWas.split("-")[0]}-"]:not([disabled])`);
      if (target) target.focus();
    }
  }

  function buildBallot(dv, duel) {
    const id = `duel-${duel.id}`;
    dv.formError = el("p", { class: "error", role: "alert" });
    dv.vote = el("button", { type: "submit", class: "primary small", text: T.duel_vote });
    let choices;
    if (duel.method === "ranked") {
      dv.rankList = el("ol", { class: "ranking duel-ranking" });
      choices = el("fieldset", { class: "duel-options" }, el("legend", { text: T.duel_rank }), dv.rankList);
      drawRanking(dv);
    } else {
      choices = el("fieldset", { class: "duel-options" }, el("legend", { text: T.duel_choose }),
        ...duel.options.map((option) => {
          const inputId = `${id}-option-${option.id}`;
          return el("div", { class: "duel-option duel-choice" },
            el("input", { type: "radio", name: `${id}-choice`, id: inputId, value: String(option.id) }),
            el("label", { for: inputId, class: "wording", text: option.text }),
            ...wordingNodes(duel, option).slice(1));
        }));
    }
    const form = el("form", { class: "duel-ballot" }, choices, dv.formError, dv.vote);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      let ranking;
      if (duel.method === "ranked") {
        ranking = [...dv.draft];
      } else {
        const chosen = form.querySelector("input[type=radio]:checked");
        if (!chosen) { dv.formError.textContent = T.duel_choose_first; return; }
        ranking = [Number(chosen.value)];
      }
      const ack = await command("duel.vote", { duel_id: dv.id, ranking });
      if (ack.ok) {
        dv.formError.textContent = "";
        dispatch("duel.mine", { duel_id: ack.duel_id, ranking: ack.ranking });
        announce(T.duel_voted);
      } else {
        dv.formError.textContent = ack.error.message;
      }
    });
    return form;
  }

  function buildDuel(duel) {
    const id = `duel-${duel.id}`;
    const dv = { id: duel.id, duel, draft: duel.options.map((o) => o.id), syncedMine: undefined };
    dv.title = el("h4", { id: `${id}-title`, tabindex: "-1", text: fmt(T.duel_title, { id: duel.id }) });
    dv.meta = el("p", { class: "meta" });
    dv.timer = el("p", { class: "timer duel-timer", role: "timer", "aria-live": "off" });
    dv.originalLabel = el("span", { class: "meta" });
    dv.original = el("p", { class: "duel-original" }, dv.originalLabel, " ", el("q", { text: duel.original }));
    dv.mine = el("p", { class: "duel-mine", "aria-live": "polite" });
    dv.voters = el("p", { class: "meta duel-voters" });
    dv.results = el("div", { class: "duel-results" });
    dv.form = isParticipant ? buildBallot(dv, duel) : null;
    // Facilitators, leadership and the projector see the wordings in play (never counts).
    dv.wordings = isParticipant ? null : el("ol", { class: "duel-wordings" },
      ...duel.options.map((option) => el("li", { class: "duel-option" }, ...wordingNodes(duel, option))));
    if (isFacilitator) {
      dv.error = el("p", { class: "error", role: "alert" });
      dv.tools = el("div", { class: "button-row", role: "group", "aria-labelledby": dv.title.id },
        dv.closeButton = el("button", { type: "button", class: "small primary", text: T.duel_close,
          onclick: () => duelCommand(dv, "duel.close") }),
        el("button", { type: "button", class: "small", text: T.duel_cancel,
          onclick: () => duelCommand(dv, "duel.cancel") }));
    }
    dv.node = el("section", { class: "duel", "data-duel-id": String(duel.id), "aria-labelledby": dv.title.id },
      dv.title, dv.meta, dv.timer, dv.original, dv.wordings, dv.form, dv.mine, dv.voters, dv.results, dv.tools, dv.error);
    return dv;
  }

  function updateTimer(dv) {
    const duel = dv.duel;
    if (duel.status !== "open" || dv.frozen) {
      setText(dv.timer, "");
      dv.timer.hidden = true;
      return;
    }
    dv.timer.hidden = false;
    const left = duelSecondsLeft(duel);
    setText(dv.timer, left > 0 ? fmt(T.time_left, { time: clockText(left) }) : T.duel_time_up);
    dv.timer.classList.toggle("up", left === 0);
    const closed = left === 0;
    if (dv.form && dv.closed !== closed) {
      dv.closed = closed;
      dv.form.querySelectorAll("input, button").forEach((control) => { control.disabled = closed; });
      if (dv.rankList && !closed) drawRanking(dv);
    }
  }
  window.setInterval(() => {
    for (const dv of duelViews.values()) if (dv.node.isConnected) updateTimer(dv);
    tickCallout();
  }, 1000);

  // -- the open duels on the first screen --------------------------------------------------------
  const callout = document.getElementById("duel-callout");
  const calloutLines = new Map(); // duel id -> line

  /** Bring a duel's section into view (opening any fold around it) and put the keyboard on
   * its heading, as starting it does. */
  function goToDuel(id) {
    const dv = duelViews.get(id);
    if (!dv || !dv.node.isConnected) return;
    for (let fold = dv.node.closest("details"); fold; fold = fold.parentElement.closest("details")) {
      fold.open = true;
    }
    dv.node.scrollIntoView({ block: "start" });
    dv.title.focus({ preventScroll: true });
  }

  function tickCallout() {
    for (const line of calloutLines.values()) {
      const left = duelSecondsLeft(line.duel);
      setText(line.timer, left > 0 ? fmt(T.time_left, { time: clockText(left) }) : T.duel_time_up);
    }
  }

  /** One line per open duel: "Wording duel on “Purpose” · 4:58 left [Go to the duel]". A duel
   * left open on a locked mission decides nothing, and is not news. */
  function updateCallout(state) {
    if (!callout) return;
    const open = documentFinal(state) ? [] : (state.duels || []).filter((d) => d.status === "open");
    for (const id of [...calloutLines.keys()]) if (!open.some((d) => d.id === id)) calloutLines.delete(id);
    callout.hidden = !open.length;
    syncChildren(callout, open.map((duel) => {
      let line = calloutLines.get(duel.id);
      if (!line) {
        line = { what: el("span", { id: `duel-callout-${duel.id}` }), timer: el("span", { class: "duel-callout-timer" }) };
        line.go = el("button", { type: "button", class: "small", text: T.duel_go,
          "aria-describedby": line.what.id, onclick: () => goToDuel(duel.id) });
        line.node = el("p", { class: "duel-callout-line" }, line.what, " · ", line.timer, " ", line.go);
        calloutLines.set(duel.id, line);
      }
      line.duel = duel;
      setText(line.what, fmt(T.duel_on, { clause: clauseName(state, duel.clause_key) || "" }));
      return line.node;
    }));
    tickCallout();
  }

  function updateDuel(dv, duel, state) {
    dv.duel = duel;
    // Left open when the mission was locked, a duel decides nothing (only cancelling it is
    // left): no vote, no timer, and it says why.
    dv.frozen = duel.status === "open" && documentFinal(state);
    const open = duel.status === "open" && !dv.frozen;
    dv.node.className = `duel status-${duel.status}`;
    setText(dv.meta, [T.duel_status[duel.status], T.duel_methods[duel.method],
      fmt(T.on_version, { n: duel.version_number })].join(" · "));
    const mine = (state.my_duel_votes || {})[String(duel.id)] || null;
    if (dv.form) {
      dv.form.hidden = !open;
      const key = JSON.stringify(mine);
      if (dv.syncedMine !== key) { // my vote (from this or another tab) is what the form shows
        dv.syncedMine = key;
        if (mine && duel.method === "ranked") {
          dv.draft = [...mine, ...duel.options.map((o) => o.id).filter((i) => !mine.includes(i))];
          drawRanking(dv);
        } else if (mine) {
          const radio = dv.form.querySelector(`input[value="${mine[0]}"]`);
          if (radio) radio.checked = true;
        }
      }
    }
    const now = stillSays(state, duel);
    setText(dv.originalLabel, open ? (now ? T.duel_now : T.duel_at_start) : T.duel_before);
    for (const tag of dv.node.querySelectorAll(".duel-as-now")) tag.hidden = !now;
    setText(dv.mine, dv.frozen ? T.duel_frozen
      : (isParticipant && open ? (mine ? T.duel_voted : T.duel_not_voted) : ""));
    dv.mine.hidden = !dv.mine.textContent;
    dv.mine.classList.toggle("voted", !!mine);
    setText(dv.voters, plural(T.voters, duel.results ? duel.results.voters : duel.voters));
    if (dv.tools) {
      dv.tools.hidden = duel.status !== "open"; // a frozen one can still be cancelled
      dv.closeButton.hidden = dv.frozen;
    }
    if (dv.wordings) dv.wordings.hidden = !open; // once decided, the results list them all
    if (needsRedraw(dv.results, [duel.status, duel.results, duel.winner_id, duel.version_made])) {
      fill(dv.results, ...duelResults(duel));
    }
    updateTimer(dv);
  }

  /** The duels of one clause (newest first) in ``box``. */
  function updateClause(box, clause, state) {
    const duels = (state.duels || []).filter((d) => d.clause_key === clause.key).sort((a, b) => b.id - a.id);
    syncChildren(box, duels.map((duel) => {
      let dv = duelViews.get(duel.id);
      if (!dv) {
        dv = buildDuel(duel);
        duelViews.set(duel.id, dv);
      }
      updateDuel(dv, duel, state);
      return dv.node;
    }));
    // The start form goes once the duel runs: the keyboard's place is the new duel, not <body>.
    const started = focusOnStart != null && duelViews.get(focusOnStart);
    if (started && started.node.isConnected) {
      focusOnStart = null;
      started.title.focus();
    }
  }

  /** The facilitator's form to start a duel on the clause of ``view`` (a clause view). */
  function buildStart(view) {
    const id = `clause-${view.key}-duel`;
    const list = el("ol", { class: "duel-wordings" });
    const add = el("button", { type: "button", class: "small", text: T.duel_add });
    const seconds = el("input", { type: "number", id: `${id}-seconds`, min: "15", max: "1800", value: "120", required: true });
    const method = el("select", { id: `${id}-method` },
      el("option", { value: "choose_one", text: T.duel_methods.choose_one }),
      el("option", { value: "ranked", text: T.duel_methods.ranked }));
    const error = el("p", { class: "error", role: "alert" });
    // A duel over the whole clause, or over some of its words (the first place they appear).
    const span = el("input", { type: "text", id: `${id}-span`, maxlength: "1000",
      "aria-describedby": `${id}-span-hint` });
    const form = el("form", { class: "stack duel-form" },
      el("label", { for: span.id, text: T.duel_span }),
      el("p", { class: "hint", id: `${id}-span-hint`, text: T.duel_span_hint }), span,
      el("fieldset", {}, el("legend", { text: T.duel_wordings }), list, add),
      el("label", { for: seconds.id, text: T.duel_seconds }), seconds,
      el("label", { for: method.id, text: T.duel_method }), method,
      error, el("button", { type: "submit", class: "primary", text: T.duel_start_button }));
    const details = el("details", { class: "duel-start" }, el("summary", { text: T.duel_start }), form);

    const renumber = () => {
      const items = [...list.children];
      items.forEach((item, i) => {
        item.querySelector("label").textContent = fmt(T.duel_wording, { n: i + 1 });
        const remove = item.querySelector("button");
        remove.setAttribute("aria-label", fmt(T.duel_remove, { n: i + 1 }));
        remove.disabled = items.length <= 2;
      });
      add.disabled = items.length >= 5;
    };
    // The first wording is the words in play, and follows them (the clause may change while
    // the form is open, or the form may be built before the clause arrives) until edited.
    const addWording = (text, follows = false) => {
      const fieldId = `${id}-wording-${nextSerial()}`;
      const field = el("textarea", { id: fieldId, rows: "2", maxlength: "1000" });
      field.value = text;
      if (follows) {
        field.dataset.follows = "yes";
        field.addEventListener("input", () => { delete field.dataset.follows; });
      }
      const item = el("li", {}, el("label", { for: fieldId }), field,
        el("button", { type: "button", class: "small", text: T.remove, onclick: () => {
          item.remove();
          renumber();
          const last = list.querySelector("li:last-child textarea");
          if (last) last.focus();
        } }));
      list.append(item);
      renumber();
      return field;
    };
    const inPlay = () => span.value.trim() || (view.clause ? view.clause.body : "");
    const followInPlay = () => {
      const first = list.querySelector("textarea");
      if (first && first.dataset.follows && first.value !== inPlay()) first.value = inPlay();
    };
    const reset = () => {
      list.replaceChildren();
      span.value = "";
      addWording(inPlay(), true);
      addWording("");
      error.textContent = "";
    };
    span.addEventListener("input", followInPlay);
    add.addEventListener("click", () => addWording("").focus());
    // Opening the form never rebuilds it (it is built empty and emptied after each start): a
    // person who types as soon as it opens, before the "toggle" event, keeps every word.
    details.addEventListener("toggle", () => {
      if (details.open) followInPlay();
    });
    view.followDuelWording = followInPlay;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      followInPlay();
      const payload = {
        clause_key: view.key,
        options: [...list.querySelectorAll("textarea")].map((t) => t.value),
        seconds: Number(seconds.value),
        method: method.value,
        // The version on this screen: a colleague's save of the clause meanwhile is refused,
        // not duelled on words and places that are no longer there.
        version_number: view.version,
      };
      const words = span.value.trim();
      if (words && view.clause) {
        const at = view.clause.body.indexOf(words);
        if (at === -1) { error.textContent = T.duel_span_missing; span.focus(); return; }
        payload.start = view.clause.body_start + at;
        payload.end = payload.start + words.length;
      }
      // Asked now: the duel's own news may come before this answer and hide the form with
      // its focused button, and the focus is then already gone.
      const keyboardHere = form.contains(document.activeElement);
      const ack = await command("duel.start", payload);
      if (ack.ok) {
        details.open = false;
        const started = keyboardHere ? duelViews.get(ack.duel_id) : null;
        if (started && started.node.isConnected) started.title.focus(); // its news came first
        else if (keyboardHere) focusOnStart = ack.duel_id; // taken when its news comes
        reset();
        announce(T.duel_started_ok);
      } else {
        error.textContent = ack.error.message;
      }
    });
    reset();
    return details;
  }

  return { updateClause, buildStart, update: updateCallout };
}
