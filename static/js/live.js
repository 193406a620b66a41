/*
 * Live workshop client: one snapshot, then ordered events (docs/protocol.md).
 *
 * The server sends `state.snapshot` on every (re)connect. Every later event
 * carries `seq`; an event that skips a number means we missed something, so
 * we ask for a fresh snapshot instead of showing stale data. Commands that
 * are safe to repeat are re-sent after a reconnect with the same operation id.
 *
 * The same file drives the participant room, the facilitator console, the
 * leadership view and the projector; `data-role` on #live says which.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-live]");
  if (!root) return;
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const role = root.dataset.role; // participant | facilitator | leadership | projector
  const isStaff = role !== "participant";
  const isFacilitator = role === "facilitator";
  const publicView = role === "participant" || role === "projector";
  const workshopId = Number(root.dataset.workshopId);

  let state = null;
  let awaitingSnapshot = true; // events are held back until a snapshot is loaded
  let buffered = []; // [name, event] received while awaiting a snapshot
  const appliers = {}; // event name -> function applying it to state
  const pending = new Map(); // opId -> {name, payload, resolve}
  let serverOffset = 0; // server clock minus ours, in ms
  const announced = {}; // round id -> what we already announced

  const $ = (sel) => root.querySelector(sel);
  const fmt = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value != null) node.setAttribute(key, value);
    }
    node.append(...children.filter((c) => c != null));
    return node;
  };

  /** Replace a node's children, skipping the optional parts that are absent (null). */
  const fill = (node, ...children) => node.replaceChildren(...children.filter((c) => c != null));

  /** "1 dot" / "2 dots": the right form of a {one, other} pair for a count. */
  function plural(forms, n) {
    return fmt(n === 1 ? forms.one : forms.other, { n });
  }

  function announce(text) {
    const node = $("#announcer");
    if (!node) return;
    node.textContent = "";
    window.setTimeout(() => { node.textContent = text; }, 50);
  }

  function notice(text) {
    const box = $("#notices");
    if (!box) return announce(text);
    box.append(el("p", { class: "flash", text }));
  }

  function newOpId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes); // works on plain-http LAN addresses too
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---- connection --------------------------------------------------------
  const auth = role === "projector" ? { workshop_id: workshopId, audience: "projector" } : { workshop_id: workshopId };
  const socket = window.io({ auth });

  // Commands that are safe to send twice: proposal.submit and comment.add carry
  // an op_id the server applies once; vote.set and ballot.cast are absolute.
  const RESENDABLE = new Set(["proposal.submit", "comment.add", "vote.set", "ballot.cast"]);

  socket.on("connect", () => {
    // No need to arm awaitingSnapshot here: socket.io-client delivers the
    // snapshot sent by the server's connect handler before this event fires.
    setConnection(true);
    for (const [, cmd] of pending) {
      if (RESENDABLE.has(cmd.name)) sendNow(cmd);
      else {
        pending.delete(cmd.opId);
        cmd.resolve({ ok: false, error: { code: "unconfirmed", message: T.unconfirmed } });
      }
    }
  });
  socket.on("disconnect", () => {
    setConnection(false);
    awaitingSnapshot = true;
  });
  socket.on("connect_error", () => setConnection(false));

  function setConnection(ok) {
    const node = $("#connection");
    if (node) {
      node.textContent = ok ? "" : T.reconnecting;
      node.classList.toggle("offline", !ok);
    }
    root.dataset.connected = ok ? "yes" : "no";
  }

  function sendNow(cmd) {
    socket.emit(cmd.name, cmd.payload, (ack) => {
      pending.delete(cmd.opId);
      cmd.resolve(ack || { ok: false, error: { code: "no_ack", message: "" } });
    });
  }

  /** Send a command; resolves with the server's acknowledgement. */
  function command(name, payload) {
    return new Promise((resolve) => {
      const cmd = { name, payload, opId: payload.op_id || newOpId(), resolve };
      pending.set(cmd.opId, cmd);
      if (socket.connected) sendNow(cmd);
    });
  }

  /** Ask for a fresh snapshot (once at a time) after a missed event. */
  function resync() {
    if (awaitingSnapshot) return;
    awaitingSnapshot = true;
    socket.emit("state.sync", {}, (ack) => {
      if (ack && ack.ok) loadSnapshot(ack.snapshot);
      else awaitingSnapshot = false;
    });
  }

  // ---- state -------------------------------------------------------------
  /** Start from a snapshot, then replay what arrived meanwhile and is newer. */
  function loadSnapshot(snapshot) {
    state = snapshot;
    awaitingSnapshot = false;
    root.setAttribute("aria-busy", "false");
    noteServerTime(state.rounds);
    (state.duels || []).forEach(noteDuelTime);
    const held = buffered.sort((a, b) => a[1].seq - b[1].seq);
    buffered = [];
    for (const [name, event] of held) receive(name, event, false);
    render();
    // The server forgets "X is editing" when a socket closes: say it again after a reconnect.
    if (editingKey !== null) markEditing(editingKey);
  }
  socket.on("state.snapshot", loadSnapshot);

  /** Apply a sequenced event in order; hold it while syncing; resync on a gap. */
  function receive(name, event, draw = true) {
    if (awaitingSnapshot || !state) { buffered.push([name, event]); return; }
    if (event.seq <= state.seq) return; // already part of our state
    if (event.seq !== state.seq + 1) {
      buffered.push([name, event]);
      resync();
      return;
    }
    state.seq = event.seq;
    appliers[name](event);
    if (draw) render();
  }

  function sequenced(name, apply) {
    appliers[name] = apply;
    socket.on(name, (event) => receive(name, event));
  }

  function noteServerTime(rounds) {
    const sample = (rounds || []).find((r) => r.server_now);
    if (sample) serverOffset = Date.parse(sample.server_now) - Date.now();
  }

  function upsertProposal(proposal) {
    const index = state.proposals.findIndex((p) => p.id === proposal.id);
    if (index === -1) state.proposals.push(proposal);
    else state.proposals[index] = proposal;
  }

  sequenced("seq.skip", () => {});
  sequenced("participant.joined", () => {});
  sequenced("proposal.submitted", (e) => {
    const isNew = !state.proposals.some((p) => p.id === e.proposal.id);
    upsertProposal(e.proposal);
    if (isNew && e.proposal.authors && e.proposal.authors.length) {
      announce(fmt(T.new_proposal, { name: e.proposal.authors[0].name }));
    }
  });
  sequenced("proposal.updated", (e) => upsertProposal(e.proposal));
  sequenced("proposal.removed", (e) => {
    state.proposals = state.proposals.filter((p) => p.id !== e.proposal_id);
  });
  sequenced("phase.changed", (e) => {
    state.workshop.phase = e.phase;
    state.workshop.phase_changed_at = e.phase_changed_at;
    announce(fmt(T.phase_announce, { phase: T.phases[e.phase] }));
  });
  sequenced("presence.changed", (e) => { state.presence = e.presence; });
  sequenced("amendment.proposed", (e) => upsertAmendment(e.amendment));
  sequenced("amendment.updated", (e) => upsertAmendment(e.amendment));
  socket.on("amendment.mine", (e) => {
    if (!state) return;
    state.my_amendment_votes = { ...(state.my_amendment_votes || {}), [String(e.amendment_id)]: e.choice };
    render();
  });

  function upsertAmendment(amendment) {
    const others = (state.amendments || []).filter((a) => a.id !== amendment.id);
    state.amendments = [...others, amendment].sort((a, b) => a.id - b.id);
  }

  sequenced("document.wording", (e) => {
    state.wording = { consent: e.consent || {}, budget: e.budget, coverage: e.coverage, words: e.words };
  });
  sequenced("document.saved", (e) => {
    state.document = e.version;
    state.wording = { consent: e.consent || {}, budget: e.budget, coverage: e.coverage, words: e.words };
    announce(fmt(T.draft_saved, { number: e.version.number }));
  });
  sequenced("clause.consent", (e) => {
    state.wording = state.wording || { consent: {} };
    state.wording.consent = { ...(state.wording.consent || {}), [String(e.clause_key)]: e.consent };
  });
  sequenced("clause.editing", (e) => { state.editors = e.editors || {}; });
  sequenced("duel.started", (e) => {
    upsertDuel(e.duel);
    announce(fmt(T.duel_started, { clause: clauseName(e.duel.clause_key) || "" }));
  });
  sequenced("duel.updated", (e) => {
    const before = (state.duels || []).find((d) => d.id === e.duel.id);
    upsertDuel(e.duel);
    if (before && before.status === "open" && e.duel.status === "decided") {
      announce(fmt(T.duel_decided, { clause: clauseName(e.duel.clause_key) || "" }));
    }
  });
  // Personal messages: my own answers on clauses and in duels (absolute, no seq).
  socket.on("clause.mine", (e) => {
    if (!state) return;
    const before = (state.my_clause_votes || {})[String(e.clause_key)];
    state.my_clause_votes = { ...(state.my_clause_votes || {}), [String(e.clause_key)]: e.vote };
    // A later change to the same clause re-sends the answer: speak up only when it is news.
    const news = !!e.vote && (!before || !before.stale || JSON.stringify(before.diff) !== JSON.stringify(e.vote.diff));
    if (news && e.vote.stale) announce(fmt(T.stale_announce, { clause: clauseName(e.clause_key) || "" }));
    render();
  });
  socket.on("duel.mine", (e) => {
    if (!state) return;
    state.my_duel_votes = { ...(state.my_duel_votes || {}), [String(e.duel_id)]: e.ranking };
    render();
  });

  const duelOffsets = {}; // duel id -> server clock minus ours when the duel was last sent, in ms
  function noteDuelTime(duel) {
    if (duel.server_now) duelOffsets[duel.id] = Date.parse(duel.server_now) - Date.now();
  }
  function upsertDuel(duel) {
    noteDuelTime(duel);
    const others = (state.duels || []).filter((d) => d.id !== duel.id);
    state.duels = [...others, duel].sort((a, b) => a.id - b.id);
  }
  sequenced("workshop.updated", (e) => { state.workshop = e.workshop; });
  sequenced("agenda.changed", (e) => {
    state.rounds = e.rounds;
    noteServerTime(e.rounds);
    const running = e.rounds.find((r) => r.status === "running" || r.status === "paused");
    state.current_round_id = running ? running.id : null;
  });
  sequenced("round.updated", (e) => {
    state.rounds = state.rounds.map((r) => (r.id === e.round.id ? e.round : r));
    noteServerTime([e.round]);
  });
  sequenced("round.tallied", (e) => {
    state.vote = { round_id: e.round_id, voters: e.voters, results: e.results || null };
    if (role === "participant" && (!state.me || state.me.round_id !== e.round_id)) {
      // Another voting round took over (perhaps one reopened where we voted): ask for our ballot.
      state.me = { round_id: e.round_id, voted: false, ballot: null };
      window.setTimeout(resync, 0);
    }
  });

  // Personal messages: no sequence number, absolute state or a notice.
  socket.on("ballot.mine", (mine) => { if (state) { state.me = mine; render(); } });
  socket.on("proposal.moderated", (e) => {
    notice(e.status === "hidden" ? fmt(T.your_hidden, { reason: e.reason || "—" }) : T.your_restored);
  });
  socket.on("comment.moderated", (e) => {
    notice(fmt(T.your_hidden, { reason: e.reason || "—" }));
  });

  // ---- derived state -----------------------------------------------------
  const currentRound = () =>
    state.rounds.find((r) => r.id === state.current_round_id) || null;
  const voteRound = () =>
    (state.vote && state.rounds.find((r) => r.id === state.vote.round_id)) || null;
  const proposalById = (id) => state.proposals.find((p) => p.id === id);

  function secondsLeft(round) {
    if (!round) return null;
    if (round.status === "paused") return round.remaining_seconds;
    if (round.status !== "running" || !round.ends_at) return null;
    return Math.max(0, Math.round((Date.parse(round.ends_at) - (Date.now() + serverOffset)) / 1000));
  }

  function inputOpen(round) {
    if (!round || round.status !== "running") return false;
    const left = secondsLeft(round);
    return left === null || left > 0;
  }

  function clockText(seconds) {
    const m = Math.floor(seconds / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return `${m}:${s}`;
  }

  function plainText(html, limit = 80) {
    const div = document.createElement("div");
    div.innerHTML = html; // sanitised on the server
    const text = div.textContent.trim();
    return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
  }

  function label(id) {
    const p = proposalById(id);
    return `#${id} ${p ? plainText(p.body_html, 60) : ""}`;
  }

  // ---- rendering ---------------------------------------------------------
  function render() {
    if (!state) return;
    const phase = state.workshop.phase;
    root.dataset.phase = phase;
    const title = $("#workshop-title");
    if (title) title.textContent = state.workshop.title;
    const brief = $("#brief");
    if (brief) brief.innerHTML = state.workshop.brief_html; // sanitised on the server

    root.querySelectorAll("#phase-list li").forEach((li) => {
      const current = li.dataset.phase === phase;
      li.classList.toggle("current", current);
      if (current) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    });
    root.querySelectorAll("[data-when]").forEach((section) => {
      section.hidden = !section.dataset.when.split(" ").includes(phase);
    });
    root.querySelectorAll("[data-set-phase]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.setPhase === phase));
    });
    const readout = $("#readout-toggle");
    if (readout) readout.checked = state.workshop.readout_anonymous;
    renderRound();
    renderAgenda();
    renderRoundControls();
    renderPresence();
    renderVoting();
    renderValuesForm();
    renderResults();
    renderDocument();
    renderCoverage();
    renderAmendments();
    renderProposals();
  }

  function renderRound() {
    const round = currentRound();
    const kindNode = $("#round-kind");
    const promptNode = $("#round-prompt");
    const note = $("#anonymity-note");
    if (!kindNode || !promptNode) return;
    if (!round) {
      kindNode.textContent = T.phases[state.workshop.phase] || "";
      const anyStarted = state.rounds.some((r) => r.started_at);
      promptNode.textContent = anyStarted ? T.round_ended
        : (state.rounds.length ? T.waiting_first : T.no_agenda);
    } else {
      const parts = [fmt(T.round_of, { n: round.position + 1, total: state.rounds.length }),
        T.kinds[round.kind]];
      if (round.kind === "vote") parts.push(T.methods[round.method]);
      kindNode.textContent = parts.join(" · ");
      promptNode.textContent = round.prompt || T.kinds[round.kind];
      if (!announced[round.id]) {
        const first = Object.keys(announced).length === 0;
        announced[round.id] = { started: true };
        announce(fmt(T.round_started, { prompt: round.prompt || T.kinds[round.kind] }));
        if (!first && role === "participant") bringToRound();
      }
    }
    if (note) {
      const mode = (round && round.anonymity) || state.workshop.anonymity;
      note.textContent = T.anonymity[mode] || "";
    }
    renderTimer();
  }

  /** A new round started: take the participant to it, unless they are typing. */
  function bringToRound() {
    const active = document.activeElement;
    if (active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT")) return;
    const heading = $("#round-prompt");
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    heading.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function renderTimer() {
    const node = $("#timer");
    if (!node || !state) return;
    const round = currentRound();
    const left = secondsLeft(round);
    node.classList.toggle("paused", !!round && round.status === "paused");
    node.classList.toggle("up", left === 0);
    if (!round || left === null) { node.textContent = ""; return; }
    if (round.status === "paused") {
      node.textContent = `${T.paused} · ${clockText(left)}`;
      return;
    }
    node.textContent = left === 0 ? T.time_up : fmt(T.time_left, { time: clockText(left) });
    const seen = announced[round.id] || (announced[round.id] = {});
    if (left === 0 && !seen.up) { seen.up = true; announce(T.time_up); render(); }
    else if (left <= 60 && left > 55 && !seen.minute) { seen.minute = true; announce(T.one_minute); }
  }
  window.setInterval(renderTimer, 1000);

  function renderAgenda() {
    const list = $("#agenda");
    if (!list) return;
    list.replaceChildren();
    const useTemplate = $("#use-template");
    if (useTemplate) useTemplate.hidden = state.rounds.length > 0;
    if (!state.rounds.length) {
      list.append(el("li", { class: "empty", text: T.no_agenda }));
      return;
    }
    state.rounds.forEach((round, index) => {
      const current = round.id === state.current_round_id;
      const minutes = round.duration_seconds ? ` · ${Math.round(round.duration_seconds / 60)}′` : "";
      const item = el("li", {
        class: `agenda-item status-${round.status}${current ? " current" : ""}`,
        "aria-current": current ? "step" : null,
      },
      el("span", { class: "agenda-kind", text: T.kinds[round.kind] + (round.kind === "vote" ? ` (${T.methods[round.method]})` : "") + minutes }),
      el("span", { class: "agenda-prompt", text: round.prompt || "" }));
      if (isFacilitator) {
        const tools = el("span", { class: "agenda-tools" });
        if (!current) {
          tools.append(el("button", {
            type: "button", class: "small",
            text: round.status === "ended" ? T.go_back : T.start,
            onclick: () => staff("round.start", { round_id: round.id }),
          }));
        }
        if (index > 0) {
          tools.append(el("button", { type: "button", class: "small", text: "↑", "aria-label": T.move_up,
            onclick: () => staff("round.move", { round_id: round.id, position: index - 1 }) }));
        }
        if (index < state.rounds.length - 1) {
          tools.append(el("button", { type: "button", class: "small", text: "↓", "aria-label": T.move_down,
            onclick: () => staff("round.move", { round_id: round.id, position: index + 1 }) }));
        }
        if (!round.started_at) {
          tools.append(el("button", { type: "button", class: "small", text: T.remove,
            onclick: () => staff("round.remove", { round_id: round.id }) }));
        }
        item.append(tools);
      }
      list.append(item);
    });
  }

  function renderRoundControls() {
    const box = $("#round-controls");
    if (!box) return;
    box.replaceChildren();
    const round = currentRound();
    const button = (text, name, payload, extra = {}) =>
      el("button", { type: "button", text, onclick: () => staff(name, payload), ...extra });
    if (round) {
      if (round.status === "running") box.append(button(T.pause, "round.pause", { round_id: round.id }));
      else box.append(button(T.resume, "round.resume", { round_id: round.id }));
      box.append(button(T.extend1, "round.extend", { round_id: round.id, seconds: 60 }));
      box.append(button(T.extend5, "round.extend", { round_id: round.id, seconds: 300 }));
      box.append(button(T.end, "round.end", { round_id: round.id }));
    }
    const voting = voteRound();
    if (voting && voting.blind && !voting.revealed) {
      box.append(button(T.reveal, "round.reveal", { round_id: voting.id }, { class: "primary" }));
    }
  }

  function bars(container, counts, order) {
    container.replaceChildren();
    const keys = order.filter((k) => counts[k]);
    const max = Math.max(1, ...keys.map((k) => counts[k]));
    if (!keys.length) {
      container.append(el("p", { class: "empty", text: T.nobody_online }));
      return;
    }
    for (const key of keys) {
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = (100 * counts[key] / max) + "%";
      container.append(el("div", { class: "bar-row" },
        el("span", { class: "bar-label", text: key }),
        el("span", { class: "bar" }, fill),
        el("span", { class: "bar-value", text: String(counts[key]) })));
    }
  }

  function renderPresence() {
    const p = state.presence;
    root.querySelectorAll("[data-presence-line]").forEach((node) => {
      node.textContent = fmt(T.online, { online: p.online, joined: p.joined });
    });
    const levels = $("#presence-levels");
    if (levels) bars(levels, p.by_level, state.workshop.levels);
    const departments = $("#presence-departments");
    if (departments) {
      const names = state.workshop.departments.length
        ? state.workshop.departments : Object.keys(p.by_department || {});
      bars(departments, p.by_department || {}, names);
    }
  }

  // ---- voting --------------------------------------------------------------
  const myBallot = () => (state.me && state.me.ballot) || {};

  function renderVoting() {
    if (role !== "participant") return;
    const round = voteRound();
    const method = $("#vote-method");
    const status = $("#ballot-status");
    const budget = $("#budget");
    if (!round || !method) return;
    method.textContent = T.methods[round.method || round.kind] || "";
    status.textContent = [
      state.me && state.me.voted ? T.you_voted : T.not_voted,
      plural(T.voters, state.vote ? state.vote.voters : 0),
    ].join(" ");
    budget.hidden = round.method !== "dot";
    if (round.method === "dot") {
      budget.textContent = fmt(T.dots_left, { left: dotsLeft(round), budget: round.dots_budget });
    }
    renderRanking(round);
    renderVocabulary(round);
  }

  function renderVocabulary(round) {
    const panel = $("#vocabulary-ballot");
    if (!panel) return;
    panel.hidden = round.kind !== "vocabulary";
    if (panel.hidden) return;
    const votes = myBallot().votes || {};
    const open = inputOpen(currentRound()) && currentRound() && currentRound().id === round.id;
    const groups = Object.keys(T.categories).map((category) => {
      const words = (round.words || []).filter((w) => w.category === category);
      if (!words.length) return null;
      return el("fieldset", { class: "value-group" }, el("legend", { text: T.categories[category] }),
        ...words.map((w, i) => {
          const id = `word-${category}-${i}`;
          const option = (choice, text) => el("span", { class: "score-option" },
            el("input", { type: "radio", name: id, id: `${id}-${choice}`, value: choice,
              checked: votes[w.word] === choice, disabled: !open,
              onchange: () => cast({ votes: { ...votes, [w.word]: choice } }) }),
            el("label", { for: `${id}-${choice}`, text }));
          return el("div", { class: "word-vote" }, el("strong", { text: w.word }),
            option("include", T.include), option("exclude", T.exclude));
        }));
    });
    panel.replaceChildren(...groups.filter(Boolean));
  }

  function dotsLeft(round) {
    const visible = new Set(state.proposals.map((p) => String(p.id)));
    const dots = myBallot().dots || {};
    const spent = Object.entries(dots).reduce((sum, [id, n]) => sum + (visible.has(id) ? n : 0), 0);
    return Math.max(round.dots_budget - spent, 0);
  }

  async function cast(ballot) {
    const round = voteRound();
    const ack = await command("ballot.cast", { ballot, round_id: round.id });
    afterVote(ack);
  }

  async function setDots(proposalId, dots) {
    const ack = await command("vote.set", { proposal_id: proposalId, dots });
    afterVote(ack);
    if (ack.ok) {
      const again = root.querySelector(`[data-proposal-id="${proposalId}"] [data-vote="${dots > 0 ? "plus" : "minus"}"]`);
      if (again && !again.disabled) again.focus();
    }
  }

  function afterVote(ack) {
    const error = $("#vote-error");
    if (ack.ok) {
      state.me = { round_id: ack.me.round_id, voted: true, ballot: ack.me.ballot };
      if (error) error.textContent = "";
      render();
    } else if (error) {
      error.textContent = ack.error.message;
    }
  }

  function ballotControls(proposal, round) {
    const ballot = myBallot();
    const id = String(proposal.id);
    if (round.method === "dot") {
      const mine = (ballot.dots || {})[id] || 0;
      const left = dotsLeft(round);
      const capped = round.dots_cap != null && mine >= round.dots_cap;
      return el("div", { class: "vote-controls", role: "group", "aria-label": T.your_dots },
        el("button", { type: "button", text: "−", "aria-label": T.remove_dot, "data-vote": "minus",
          disabled: mine === 0, onclick: () => setDots(proposal.id, mine - 1) }),
        el("output", { class: "my-dots", text: String(mine) }),
        el("button", { type: "button", text: "+", "aria-label": T.add_dot, "data-vote": "plus",
          disabled: left === 0 || capped, onclick: () => setDots(proposal.id, mine + 1) }));
    }
    if (round.method === "approval") {
      const approved = new Set((ballot.approved || []).map(String));
      const box = el("input", { type: "checkbox", id: `approve-${id}`, checked: approved.has(id),
        onchange: (event) => {
          const next = new Set(approved);
          if (event.target.checked) next.add(id); else next.delete(id);
          cast({ approved: [...next].map(Number) });
        } });
      return el("div", { class: "check vote-controls" }, box,
        el("label", { for: `approve-${id}`, text: T.approve }));
    }
    if (round.method === "score") {
      const current = (ballot.scores || {})[id];
      const group = el("fieldset", { class: "score-controls" }, el("legend", { text: T.score_label }));
      for (let n = 0; n <= 5; n += 1) {
        const input = el("input", { type: "radio", name: `score-${id}`, id: `score-${id}-${n}`,
          value: String(n), checked: current === n,
          onchange: () => cast({ scores: { ...(ballot.scores || {}), [id]: n } }) });
        group.append(el("span", { class: "score-option" }, input,
          el("label", { for: `score-${id}-${n}`, text: String(n) })));
      }
      return group;
    }
    if (round.method === "ranked") {
      const ranking = ballot.ranking || [];
      if (ranking.includes(proposal.id)) {
        return el("p", { class: "tag-rank", text: `${T.my_ranking}: ${ranking.indexOf(proposal.id) + 1}` });
      }
      return el("button", { type: "button", class: "small", text: T.add_to_ranking,
        onclick: () => cast({ ranking: [...ranking, proposal.id] }) });
    }
    if (round.method === "consent") {
      const answer = (ballot.consent || {})[id] || {};
      const form = el("form", { class: "consent-controls" });
      const group = el("fieldset", {}, el("legend", { text: T.methods.consent }));
      for (const choice of ["agree", "live_with", "object"]) {
        group.append(el("span", { class: "score-option" },
          el("input", { type: "radio", name: `consent-${id}`, id: `consent-${id}-${choice}`,
            value: choice, checked: answer.choice === choice }),
          el("label", { for: `consent-${id}-${choice}`, text: T[`consent_${choice}`] })));
      }
      const reason = el("textarea", { id: `reason-${id}`, rows: "2", maxlength: "500" });
      reason.value = answer.reason || "";
      form.append(group, el("label", { for: `reason-${id}`, text: T.consent_reason }), reason,
        el("button", { type: "submit", class: "small", text: T.send }));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const choice = form.querySelector("input:checked");
        if (!choice) return;
        const consent = { ...(ballot.consent || {}),
          [id]: { choice: choice.value, reason: reason.value } };
        cast({ consent });
      });
      return form;
    }
    return null;
  }

  function renderRanking(round) {
    const panel = $("#my-ranking");
    if (!panel) return;
    panel.hidden = round.method !== "ranked";
    if (panel.hidden) return;
    const ranking = myBallot().ranking || [];
    const list = el("ol", { class: "ranking" });
    ranking.forEach((id, index) => {
      const move = (to) => {
        const next = [...ranking];
        next.splice(index, 1);
        if (to !== null) next.splice(to, 0, id);
        cast({ ranking: next });
      };
      list.append(el("li", {}, el("span", { text: label(id) }),
        el("span", { class: "agenda-tools" },
          el("button", { type: "button", class: "small", text: "↑", "aria-label": `${T.move_up}: ${label(id)}`,
            disabled: index === 0, onclick: () => move(index - 1) }),
          el("button", { type: "button", class: "small", text: "↓", "aria-label": `${T.move_down}: ${label(id)}`,
            disabled: index === ranking.length - 1, onclick: () => move(index + 1) }),
          el("button", { type: "button", class: "small", text: T.remove, "aria-label": `${T.remove}: ${label(id)}`,
            onclick: () => move(null) }))));
    });
    panel.replaceChildren(el("h3", { text: T.my_ranking }),
      ranking.length ? list : el("p", { class: "empty", text: T.empty_ranking }));
  }

  // ---- results -------------------------------------------------------------
  function resultBars(items, valueOf, textOf, winner) {
    const max = Math.max(1, ...items.map(valueOf));
    const box = el("div", { class: "bars results-bars" });
    for (const item of items) {
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = (100 * valueOf(item) / max) + "%";
      box.append(el("div", { class: "bar-row wide" + (item.proposal_id === winner ? " winner" : "") },
        el("span", { class: "bar-label", text: label(item.proposal_id) }),
        el("span", { class: "bar" }, fill),
        el("span", { class: "bar-value", text: textOf(item) })));
    }
    return box;
  }

  function methodResults(results) {
    const w = results.winner;
    if (results.method === "dot") {
      return resultBars(results.items, (i) => i.dots, (i) => fmt(T.tally, {
        dots: plural(T.dot_count, i.dots), people: plural(T.people_count, i.voters) }), w);
    }
    if (results.method === "approval") {
      return resultBars(results.items, (i) => i.approvals,
        (i) => `${fmt(T.approvals, { n: i.approvals })} (${Math.round(i.share * 100)}%)`, w);
    }
    if (results.method === "score") {
      return resultBars(results.items, (i) => i.mean || 0,
        (i) => fmt(T.mean_score, { n: i.mean == null ? "–" : i.mean.toFixed(1), count: i.count }), w);
    }
    if (results.method === "ranked") {
      const irv = results.instant_runoff;
      const table = el("table", { class: "table" });
      const candidates = Object.keys(irv.rounds[0] ? irv.rounds[0].counts : {});
      table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "" }),
        ...irv.rounds.map((_, i) => el("th", { scope: "col", text: fmt(T.irv_round, { n: i + 1 }) })))));
      const body = el("tbody");
      for (const c of candidates) {
        body.append(el("tr", { class: Number(c) === irv.winner ? "winner" : "" },
          el("th", { scope: "row", text: label(Number(c)) }),
          ...irv.rounds.map((r) => el("td", { text: c in r.counts ? String(r.counts[c]) : "—" }))));
      }
      table.append(body);
      const borda = results.borda;
      const bordaItems = borda.ranking.map((id) => ({ proposal_id: id, points: borda.scores[String(id)] }));
      const schulze = el("ol", {}, ...results.schulze.ranking.map((id) =>
        el("li", { class: id === results.schulze.winner ? "winner" : "", text: label(id) })));
      return el("div", { class: "side-by-side" },
        el("section", {}, el("h3", { text: T.irv }), table),
        el("section", {}, el("h3", { text: T.borda }),
          resultBars(bordaItems, (i) => i.points, (i) => fmt(T.points, { n: i.points }), borda.winner)),
        el("section", {}, el("h3", { text: T.schulze }), schulze));
    }
    if (results.method === "values") return valuesResults(results);
    if (results.method === "vocabulary") {
      return el("div", { class: "side-by-side" }, ...Object.keys(T.categories).map((category) => {
        const items = results.items.filter((i) => i.category === category);
        if (!items.length) return null;
        return el("section", {}, el("h3", { text: T.categories[category] }),
          el("ul", { class: "word-results" }, ...items.map((i) => el("li", { class: `word-${i.status}` },
            el("strong", { text: i.word }),
            el("span", { text: ` · ${fmt(T.votes_for_against, i)} · ${T[i.status === "open" ? "open_word" : i.status]}` })))));
      }).filter(Boolean));
    }
    if (results.method === "consent") {
      const list = el("ul", { class: "consent-results" });
      for (const item of results.items) {
        const counts = item.counts;
        list.append(el("li", { class: item.consented ? "consented" : "objected" },
          el("strong", { text: label(item.proposal_id) }),
          el("p", { text: `${T.consent_agree}: ${counts.agree || 0} · ${T.consent_live_with}: ${counts.live_with || 0} · ${T.consent_object}: ${counts.object || 0}` }),
          el("p", { class: "meta", text: item.consented ? T.consented : T.not_consented }),
          item.objections.length ? el("ul", {}, ...item.objections.map((r) => el("li", { text: r }))) : null));
      }
      return list;
    }
    return el("p", { text: "" });
  }

  function renderResults() {
    const card = $("#results-card");
    if (!card) return;
    const vote = state.vote;
    const round = voteRound();
    card.hidden = !vote || !round;
    if (card.hidden) return;
    $("#voter-count").textContent = plural(T.voters, vote.voters);
    const box = $("#results");
    // Rebuild only when the results changed, so choices like "Show for" survive other events.
    const key = JSON.stringify([vote.round_id, vote.results, state.proposals.length]);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren();
    if (!vote.results) {
      box.append(el("p", { class: "empty", text: T.results_hidden }));
      return;
    }
    box.append(methodResults(vote.results));
    if (vote.results.by_level) {
      const section = el("section", {}, el("h3", { text: T.by_level }));
      for (const [level, result] of Object.entries(vote.results.by_level)) {
        section.append(el("h4", { text: level }));
        section.append(result ? methodResults(result)
          : el("p", { class: "meta", text: fmt(T.suppressed, { n: vote.results.min_group_size }) }));
      }
      box.append(section);
    }
  }

  // ---- values ----------------------------------------------------------------
  const catalogueNode = document.getElementById("catalogue");
  const catalogue = catalogueNode ? JSON.parse(catalogueNode.textContent) : [];
  const catalogueName = Object.fromEntries(
    catalogue.flatMap((g) => g.values.map((v) => [v.key, v.name])));
  let valuesFormRound = null; // the round the form was built for
  let picked = []; // [{value|custom, maps_to, lived}]

  function renderValuesForm() {
    const form = $("#values-form");
    const round = voteRound();
    if (!form || !round || round.kind !== "values") return;
    if (valuesFormRound !== round.id) {
      // Built once per round: live updates never redraw what the person is choosing.
      valuesFormRound = round.id;
      const mine = myBallot();
      picked = (mine.picks || []).map((p) => p.value.startsWith("custom:")
        ? { custom: p.words || p.value.slice(7), maps_to: p.maps_to, lived: p.lived }
        : { value: p.value, maps_to: p.maps_to, lived: p.lived });
      buildCatalogue(round, mine);
      drawPicked(round);
    }
    $("#values-status").textContent = state.me && state.me.voted ? T.values_shared : "";
  }

  function buildCatalogue(round, mine) {
    const box = $("#values-catalogue");
    box.replaceChildren(...catalogue.map((group) => el("fieldset", { class: "value-group" },
      el("legend", { text: group.name }),
      ...group.values.map((value) => el("span", { class: "value-option" },
        el("input", { type: "checkbox", id: `value-${value.key}`, value: value.key,
          "data-value-key": value.key, checked: picked.some((p) => p.value === value.key),
          onchange: (event) => togglePick(value.key, event.target.checked, round) }),
        el("label", { for: `value-${value.key}`, title: value.description, text: value.name }))))));
    for (const [kind, node, heading] of [["current", "#culture-now", T.culture_now],
      ["desired", "#culture-desired", T.culture_desired]]) {
      const chosen = new Set(mine[kind] || []);
      $(node).replaceChildren(el("fieldset", { class: "value-group culture-group" },
        el("legend", { text: heading }),
        ...catalogue.flatMap((g) => g.values).map((value) => el("span", { class: "value-option" },
          el("input", { type: "checkbox", id: `${kind}-${value.key}`, name: kind, value: value.key,
            checked: chosen.has(value.key) }),
          el("label", { for: `${kind}-${value.key}`, text: value.name })))));
    }
  }

  function togglePick(key, on, round) {
    if (on && !picked.some((p) => p.value === key)) {
      if (picked.length >= round.pick_limit) {
        const box = root.querySelector(`[data-value-key="${key}"]`);
        if (box) box.checked = false;
        return;
      }
      picked.push({ value: key, maps_to: null, lived: null });
    } else if (!on) {
      picked = picked.filter((p) => p.value !== key);
    }
    drawPicked(round);
  }

  function drawPicked(round) {
    const list = $("#values-picked");
    $("#values-count").textContent = fmt(T.values_left, { n: picked.length, limit: round.pick_limit });
    root.querySelectorAll("[data-value-key]").forEach((box) => {
      box.disabled = !box.checked && picked.length >= round.pick_limit;
    });
    list.replaceChildren(...picked.map((pick, index) => {
      const name = pick.value ? (catalogueName[pick.value] || pick.value) : pick.custom;
      const id = `pick-${index}`;
      const select = el("select", { id: `${id}-maps`, onchange: (e) => { pick.maps_to = e.target.value || null; } },
        el("option", { value: "", text: T.not_represented }),
        ...state.workshop.values.map((v) => el("option", { value: String(v.id), text: v.name,
          selected: String(pick.maps_to) === String(v.id) })));
      const rating = el("fieldset", { class: "score-controls" }, el("legend", { text: T.lived }));
      for (let n = 1; n <= 5; n += 1) {
        rating.append(el("span", { class: "score-option" },
          el("input", { type: "radio", name: `${id}-lived`, id: `${id}-lived-${n}`, value: String(n),
            checked: pick.lived === n, onchange: () => { pick.lived = n; } }),
          el("label", { for: `${id}-lived-${n}`, text: String(n) })));
      }
      return el("li", { class: "pick" },
        el("strong", { text: name }),
        el("button", { type: "button", class: "small", text: T.remove, "aria-label": `${T.remove}: ${name}`,
          onclick: () => {
            picked.splice(index, 1);
            const box = pick.value && root.querySelector(`[data-value-key="${pick.value}"]`);
            if (box) box.checked = false;
            drawPicked(round);
          } }),
        el("label", { for: `${id}-maps`, text: T.maps_to }), select, rating);
    }));
  }

  const valuesForm = $("#values-form");
  if (valuesForm) {
    $("#add-own-value").addEventListener("click", () => {
      const input = $("#own-value");
      const words = input.value.trim();
      const round = voteRound();
      if (!words || !round || picked.length >= round.pick_limit) return;
      picked.push({ custom: words, maps_to: null, lived: null });
      input.value = "";
      drawPicked(round);
    });
    valuesForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const round = voteRound();
      const ballot = {
        picks: picked.map((p) => ({ ...(p.value ? { value: p.value } : { custom: p.custom }),
          maps_to: p.maps_to, lived: p.lived })),
        current: [...valuesForm.querySelectorAll("input[name=current]:checked")].map((i) => i.value),
        desired: [...valuesForm.querySelectorAll("input[name=desired]:checked")].map((i) => i.value),
      };
      const ack = await command("ballot.cast", { ballot, round_id: round.id });
      const error = $("#values-error");
      if (ack.ok) {
          state.me = { round_id: ack.me.round_id, voted: true, ballot: ack.me.ballot };
        error.textContent = "";
        render();
      } else {
        error.textContent = ack.error.message;
      }
    });
  }

  const heatmapFilter = {}; // round id -> "level=…" or "department=…"

  function valuesResults(results) {
    const roundId = state.vote.round_id;
    const base = `/w/${workshopId}/rounds/${roundId}/heatmap.svg?v=${results.ballots}`;
    const chosen = heatmapFilter[roundId] || "";
    const picture = el("img", { class: "heatmap", src: base + (chosen ? "&" + chosen : ""),
      alt: T.heatmap_alt });
    const filter = el("select", { id: `heatmap-filter-${roundId}`,
      onchange: (e) => {
        heatmapFilter[roundId] = e.target.value;
        picture.src = base + (e.target.value ? "&" + e.target.value : "");
      } },
      el("option", { value: "", text: T.filter_all }),
      ...state.workshop.levels.map((l) => "level=" + encodeURIComponent(l))
        .concat(state.workshop.departments.map((d) => "department=" + encodeURIComponent(d)))
        .map((value) => el("option", { value, selected: value === chosen,
          text: decodeURIComponent(value.split("=")[1]) })));
    const pct = (x) => (x == null ? "–" : String(Math.round(x * 100)));
    const list = (items, textOf) => items.length
      ? el("ul", {}, ...items.map((i) => el("li", { text: textOf(i) })))
      : el("p", { class: "empty", text: T.none_yet });
    const byLevel = Object.entries(results.alignment.by_level).map(([level, value]) =>
      el("li", { text: `${level}: ${value == null ? fmt(T.suppressed, { n: results.min_group_size }) : pct(value) + "%"}` }));
    return el("div", { class: "values-results" },
      el("p", { class: "alignment-figure", text: fmt(T.alignment, { pct: pct(results.alignment.workshop) }) }),
      el("p", { class: "meta", text: T.alignment_definition }),
      byLevel.length ? el("ul", { class: "meta" }, ...byLevel) : null,
      el("p", {}, el("label", { for: filter.id, text: T.show_for }), filter),
      picture,
      el("div", { class: "side-by-side" },
        el("section", {}, el("h3", { text: T.gaps_missing }),
          list(results.not_represented, (i) => `${i.value} (${i.count})`)),
        el("section", {}, el("h3", { text: T.gaps_not_lived }),
          list(results.stated_not_lived, (i) => `${i.org_value}: ${i.mean} (${i.count})`)),
        el("section", {}, el("h3", { text: T.shared_levels }),
          list(results.shared_across_levels, (i) => i))),
      el("div", { class: "side-by-side" },
        el("section", {}, el("h3", { text: T.culture_now }),
          list(results.culture.current, (i) => `${i.value} (${i.count})`)),
        el("section", {}, el("h3", { text: T.culture_desired }),
          list(results.culture.desired, (i) => `${i.value} (${i.count})`))));
  }

  // ---- the draft, clause by clause -------------------------------------------
  // Every clause keeps its own DOM node from version to version (by its stable key),
  // and only the parts whose data changed are redrawn, so an open editor, a half-typed
  // objection, a choice in a duel or a half-filled duel form survive every live event.
  const clauseViews = new Map(); // clause key -> view
  const duelViews = new Map(); // duel id -> view
  let editingKey = null; // the clause this screen has open (one at a time, as the server records it)
  let serial = 0; // for unique element ids

  const clauseTitle = (clause, index) => clause.heading || fmt(T.clause_n, { n: index + 1 });
  const documentClauses = () => (state && state.document && state.document.clauses) || [];

  function clauseName(key) {
    const clauses = documentClauses();
    const index = clauses.findIndex((c) => c.key === key);
    return index === -1 ? null : clauseTitle(clauses[index], index);
  }

  /** Set a node's text only when it changes: live regions then speak only real news. */
  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  /** Redraw a part only when the data it shows changed. */
  function needsRedraw(node, data) {
    const key = JSON.stringify(data);
    if (node._drawn === key) return false;
    node._drawn = key;
    return true;
  }

  /** Put exactly ``wanted`` in ``parent``, in order, moving as little as possible (a moved
   * node would lose the focus of a field inside it). */
  function syncChildren(parent, wanted) {
    const active = document.activeElement;
    const keep = new Set(wanted);
    for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
    wanted.forEach((child, i) => {
      if (parent.children[i] !== child) parent.insertBefore(child, parent.children[i] || null);
    });
    if (active && active !== document.activeElement && parent.contains(active)) {
      active.focus({ preventScroll: true });
    }
  }

  /** An inline difference; screen readers hear "removed" and "added" before the changed words. */
  /** A duel's wording as a voter reads it: clean text, with what it changes one click away. */
  function wordingNodes(duel, option) {
    return [
      el("span", { class: "wording", text: option.text }),
      isOriginal(duel, option) ? el("span", { class: "tag tag-neutral", text: T.duel_as_now }) : null,
      isOriginal(duel, option) ? null : el("details", { class: "wording-diff" },
        el("summary", { text: T.show_difference }), el("p", { class: "diff" }, ...diffNodes(option.diff))),
    ];
  }

  function diffNodes(diff) {
    return (diff || []).map((piece) => {
      if (piece.op === "equal") return piece.text;
      const tag = piece.op === "insert" ? "ins" : "del";
      return el(tag, {}, el("span", { class: "visually-hidden",
        text: (piece.op === "insert" ? T.diff_added : T.diff_removed) + " " }), piece.text);
    });
  }

  /** A clause's difference without its unchanged heading line (the heading is shown above). */
  function withoutHeading(diff) {
    const pieces = [...(diff || [])];
    if (pieces.length && pieces[0].op === "equal") {
      const text = pieces[0].text.replace(/^#{1,3}[ \t][^\n]*\n+/, "");
      pieces[0] = { op: "equal", text };
    }
    return pieces;
  }

  /** The latest version is the final mission: nothing about its words changes until a
   * facilitator reopens it. */
  function documentFinal() {
    return !!(state.document && state.document.final);
  }

  function canEditClauses() {
    if (documentFinal()) return false;
    if (isFacilitator) return true;
    if (role !== "participant") return false;
    const round = currentRound();
    return !!round && round.kind === "refine" && inputOpen(round);
  }

  /** Tell everyone which clause this screen has open (or none); not queued while offline:
   * the next snapshot says it again. */
  function markEditing(key) {
    if (!socket.connected) return Promise.resolve({ ok: true });
    return new Promise((resolve) => {
      socket.emit("clause.editing", { clause_key: key }, (ack) =>
        resolve(ack || { ok: false, error: { code: "no_ack", message: "" } }));
    });
  }

  function renderDocument() {
    const node = $("#document");
    if (!node) return;
    if (!node._parts) {
      node._parts = { meta: el("div", { class: "document-meta" }), list: el("div", { class: "clauses" }),
        signoffs: el("div", { class: "document-signoffs" }) };
      node.replaceChildren(node._parts.meta, node._parts.list, node._parts.signoffs);
    }
    const { meta, list, signoffs } = node._parts;
    // Participants see the draft in the draft phase, and whenever a wording duel is open.
    const card = node.closest("[data-when]");
    if (card && (state.duels || []).some((d) => d.status === "open")) card.hidden = false;
    const d = state.document;
    if (!d) {
      fill(meta, el("p", { class: "empty", text: T.no_draft }));
      list.replaceChildren();
      signoffs.replaceChildren();
      return;
    }
    fill(meta,
      d.final ? el("p", { class: "final-badge", text: T.final_version }) : null,
      d.final ? el("p", { class: "meta", text: isFacilitator ? T.final_locked_staff : T.final_locked }) : null,
      !d.final && d.source === "reopen" ? el("p", { class: "notice", role: "status", text: fmt(T.reopened, { n: d.number - 1 }) }) : null,
      el("p", { class: "meta", text:
        fmt(T.version, { number: d.number }) + (d.name ? ` · ${d.name}` : "") + " · " +
        fmt(T.by, { name: d.author }) + (d.note ? " · " + d.note : "") }));
    const items = (d.signoffs || []).map((s) =>
      el("li", { text: fmt(T.signed_off, { name: s.name }) + (s.comment ? ` — “${s.comment}”` : "") }));
    fill(signoffs, items.length ? el("ul", { class: "signoffs" }, ...items) : null);

    const clauses = d.clauses || [];
    if (!clauses.length) {
      const body = el("div", { class: "document-body" });
      body.innerHTML = d.html; // sanitised on the server
      syncChildren(list, [body]);
      return;
    }
    const wanted = [];
    clauses.forEach((clause, index) => {
      let view = clauseViews.get(clause.key);
      if (!view) {
        view = buildClause(clause.key);
        clauseViews.set(clause.key, view);
      }
      updateClause(view, clause, index);
      wanted.push(view.node);
    });
    const present = new Set(clauses.map((c) => c.key));
    for (const [key, view] of clauseViews) {
      if (present.has(key)) continue;
      if (view.editor) { // removed while someone typed in it: keep their words on screen
        markRemoved(view);
        wanted.push(view.node);
      } else {
        clauseViews.delete(key);
      }
    }
    syncChildren(list, wanted);
  }

  function buildClause(key) {
    const id = `clause-${key}`;
    const view = { key, editor: null, clause: null };
    view.heading = el("h3", { id: `${id}-heading`, class: "clause-heading" });
    view.text = el("div", { class: "clause-text document-body" });
    view.editors = el("p", { class: "clause-editors", "aria-live": "polite" });
    view.tools = el("div", { class: "clause-tools" });
    view.toolsError = el("p", { class: "error", role: "alert" });
    view.editBox = el("div", { class: "clause-edit" });
    view.consent = el("div", { class: "clause-consent" });
    view.duels = el("div", { class: "clause-duels" });
    if (isFacilitator || role === "participant") {
      view.editButton = el("button", { type: "button", class: "small", text: T.edit_clause,
        "aria-describedby": view.heading.id, onclick: () => openEditor(view) });
      view.tools.append(view.editButton);
    }
    if (role === "participant" && amendSource) {
      view.suggestButton = el("button", { type: "button", class: "small", text: T.suggest_here,
        "aria-describedby": view.heading.id, onclick: () => suggestIn(view) });
      view.tools.append(view.suggestButton);
    }
    buildConsent(view);
    view.duelStart = isFacilitator ? buildDuelStart(view) : null;
    view.node = el("article", { class: "clause", "data-clause-key": String(key), "aria-labelledby": view.heading.id },
      view.heading, view.text, view.editors, view.tools, view.toolsError, view.editBox,
      view.consent, view.duels, view.duelStart);
    return view;
  }

  function updateClause(view, clause, index) {
    view.clause = clause;
    view.removed = false;
    view.node.classList.remove("removed");
    setText(view.heading, clauseTitle(clause, index));
    view.heading.classList.toggle("visually-hidden", !clause.heading);
    if (needsRedraw(view.text, clause.html)) {
      if (clause.body) view.text.innerHTML = clause.html; // sanitised on the server
      else fill(view.text, el("p", { class: "empty", text: T.clause_empty }));
    }
    // Who else has this clause open (my own entry is the editor on my screen).
    const names = [...((state.editors || {})[String(clause.key)] || [])];
    if (editingKey === clause.key) {
      const own = names.indexOf((state.viewer && state.viewer.name) || "");
      const mine = own !== -1 ? own : names.indexOf(T.someone);
      if (mine !== -1) names.splice(mine, 1);
    }
    setText(view.editors, names.length
      ? fmt(names.length === 1 ? T.clause_editing.one : T.clause_editing.other, { names: names.join(", ") }) : "");
    if (view.editButton) view.editButton.hidden = !canEditClauses() || !!view.editor;
    if (view.suggestButton) {
      view.suggestButton.hidden = !clause.body || documentFinal() || state.workshop.phase === "closed";
    }
    if (view.editor) updateEditorNotes(view);
    updateConsent(view, clause);
    updateDuels(view, clause);
    if (view.duelStart) {
      view.duelStart.hidden = !clause.body || documentFinal() || (state.duels || []).some((d) => d.clause_key === clause.key && d.status === "open");
    }
  }

  function markRemoved(view) {
    view.removed = true;
    view.node.classList.add("removed");
    if (view.editor) setText(view.editor.changedNote, T.clause_removed);
    if (view.editButton) view.editButton.hidden = true;
  }

  // -- editing a clause ----------------------------------------------------------
  async function openEditor(view) {
    if (editingKey !== null && editingKey !== view.key) {
      view.toolsError.textContent = T.one_editor;
      const other = clauseViews.get(editingKey);
      if (other && other.editor) other.editor.textarea.focus();
      return;
    }
    if (view.editor || !state.document) return;
    view.toolsError.textContent = "";
    const clause = view.clause;
    const title = view.heading.textContent;
    const id = `clause-${view.key}-body-${++serial}`;
    const textarea = el("textarea", { id, rows: String(Math.min(12, Math.max(3, Math.ceil(clause.body.length / 70) + 1))),
      maxlength: "4000" });
    textarea.value = clause.body;
    const editor = {
      basedOn: state.document.number, original: clause.body, textarea,
      conflict: el("div", { class: "conflict-box", hidden: true }),
      changedNote: el("p", { class: "hint", "aria-live": "polite" }),
      basedNote: el("p", { class: "hint", text: fmt(T.editing_from, { number: state.document.number }) }),
      error: el("p", { class: "error", role: "alert" }),
      save: el("button", { type: "submit", class: "primary", text: T.save_clause }),
    };
    editor.form = el("form", { class: "clause-editor", "aria-label": fmt(T.editing_clause, { clause: title }) },
      editor.conflict,
      el("label", { for: id, text: fmt(T.your_text, { clause: title }) }),
      editor.basedNote,
      textarea, editor.changedNote, editor.error,
      el("div", { class: "button-row" }, editor.save,
        el("button", { type: "button", text: T.cancel, onclick: () => closeEditor(view, true) })));
    editor.form.addEventListener("submit", (event) => { event.preventDefault(); saveClause(view); });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.preventDefault(); closeEditor(view, true); }
    });
    view.editor = editor;
    editingKey = view.key;
    view.editBox.replaceChildren(editor.form);
    render();
    textarea.focus();
    const ack = await markEditing(view.key);
    if (!ack.ok && view.editor === editor) editor.error.textContent = ack.error.message;
  }

  function updateEditorNotes(view) {
    const editor = view.editor;
    if (view.removed) return;
    setText(editor.changedNote, view.clause.body !== editor.original
      ? fmt(T.clause_changed_meanwhile, { number: state.document.number }) : "");
  }

  function closeEditor(view, ask) {
    const editor = view.editor;
    if (!editor) return;
    if (ask && editor.textarea.value !== editor.original && !window.confirm(T.discard_edit)) return;
    view.editor = null;
    if (editingKey === view.key) editingKey = null;
    view.editBox.replaceChildren();
    markEditing(null);
    if (view.removed) {
      view.node.remove();
      clauseViews.delete(view.key);
      return;
    }
    render();
    if (view.editButton && !view.editButton.hidden) view.editButton.focus();
  }

  async function saveClause(view) {
    const editor = view.editor;
    editor.save.disabled = true;
    const ack = await command("clause.save", { clause_key: view.key, body: editor.textarea.value,
      based_on: editor.basedOn });
    editor.save.disabled = false;
    if (view.editor !== editor) return;
    if (ack.ok) {
      closeEditor(view, false);
      announce(fmt(T.clause_saved, { number: ack.version }));
    } else if (ack.error.code === "unchanged") {
      closeEditor(view, false);
      announce(T.clause_unchanged);
    } else if (ack.error.code === "conflict" && ack.error.details) {
      showConflict(view, ack.error);
    } else {
      editor.error.textContent = ack.error.message;
    }
  }

  /** Someone changed the same words: show their text next to mine (kept as typed) and rebase. */
  function showConflict(view, error) {
    const editor = view.editor;
    const details = error.details;
    editor.basedOn = details.latest_number;
    editor.original = details.latest_body;
    setText(editor.basedNote, fmt(T.editing_from, { number: details.latest_number }));
    const theirsId = `${editor.textarea.id}-theirs`;
    const theirs = el("textarea", { id: theirsId, class: "their-text", readonly: true,
      rows: String(Math.min(12, Math.max(2, Math.ceil(details.latest_body.length / 70) + 1))) });
    theirs.value = details.latest_body;
    fill(editor.conflict,
      el("p", { class: "error conflict-message", role: "alert", text: error.message }),
      el("label", { for: theirsId, text: fmt(T.conflict_theirs, { number: details.latest_number }) }),
      theirs,
      el("p", { class: "hint", text: T.conflict_help }));
    editor.conflict.hidden = false;
    editor.form.classList.add("conflict");
    editor.error.textContent = "";
    setText(editor.changedNote, "");
    editor.textarea.focus();
  }

  // -- consent on a clause ---------------------------------------------------------
  function buildConsent(view) {
    const id = `clause-${view.key}-consent`;
    const c = {
      title: el("h4", { id: `${id}-title`, class: "consent-title",
        text: role === "participant" ? T.clause_consent_mine : T.clause_consent }),
      counts: el("p", { class: "meta consent-counts" }),
      objections: el("div", { class: "clause-objections" }),
      stale: el("div", { class: "stale-notice", role: "status", hidden: true }),
      mine: el("p", { class: "my-answer" }),
    };
    view.consent.append(c.title, c.stale, c.counts, c.objections);
    if (role === "participant") {
      c.buttons = {};
      const group = el("div", { class: "consent-buttons", role: "group", "aria-labelledby": c.title.id });
      for (const choice of ["agree", "live_with", "object"]) {
        c.buttons[choice] = el("button", { type: "button", class: "small", text: T[`consent_${choice}`],
          "aria-pressed": "false",
          onclick: () => (choice === "object" ? openObjection(view) : sendConsent(view, choice, "")) });
        group.append(c.buttons[choice]);
      }
      const reasonId = `${id}-reason`;
      c.reason = el("textarea", { id: reasonId, rows: "2", maxlength: "500" });
      c.error = el("p", { class: "error", role: "alert" });
      c.reasonForm = el("form", { class: "objection-form", hidden: true },
        el("label", { for: reasonId, text: T.object_reason }), c.reason,
        el("div", { class: "button-row" },
          el("button", { type: "submit", class: "small primary", text: T.objection_send }),
          el("button", { type: "button", class: "small", text: T.cancel, onclick: () => {
            c.reasonForm.hidden = true;
            c.buttons.object.focus();
          } })));
      c.reasonForm.addEventListener("submit", (event) => {
        event.preventDefault();
        if (!c.reason.value.trim()) { c.error.textContent = T.objection_needed; c.reason.focus(); return; }
        sendConsent(view, "object", c.reason.value);
      });
      c.group = group;
      view.consent.append(c.mine, group, c.reasonForm, c.error);
    }
    view.consentParts = c;
  }

  function openObjection(view) {
    const c = view.consentParts;
    const mine = (state.my_clause_votes || {})[String(view.key)];
    if (!c.reason.value && mine && mine.choice === "object") c.reason.value = mine.reason || "";
    c.reasonForm.hidden = false;
    c.reason.focus();
  }

  async function sendConsent(view, choice, reason) {
    const c = view.consentParts;
    const ack = await command("clause.vote", { clause_key: view.key, choice, reason });
    if (ack.ok) {
      state.my_clause_votes = { ...(state.my_clause_votes || {}), [String(ack.clause_key)]: ack.vote };
      c.error.textContent = "";
      if (choice === "object") c.reasonForm.hidden = true;
      announce(T.answer_saved);
      render();
      c.buttons[choice].focus();
    } else {
      c.error.textContent = ack.error.message;
    }
  }

  function updateConsent(view, clause) {
    const c = view.consentParts;
    const counts = ((state.wording && state.wording.consent) || {})[String(clause.key)]
      || { agree: 0, live_with: 0, object: 0, stale: 0, objections: [] };
    setText(c.counts, fmt(T.clause_counts, counts));
    if (needsRedraw(c.objections, counts.objections)) {
      fill(c.objections, counts.objections.length ? el("p", { class: "meta", text: T.objections }) : null,
        counts.objections.length ? el("ul", { class: "meta" }, ...counts.objections.map((r) => el("li", { text: r }))) : null);
    }
    if (role !== "participant") return;
    const mine = (state.my_clause_votes || {})[String(clause.key)] || null;
    const stale = !!(mine && mine.stale);
    if (needsRedraw(c.stale, stale ? mine : null)) {
      fill(c.stale, ...(stale ? [
        el("p", {}, el("strong", { text: T.stale_title })),
        el("p", { text: fmt(T.stale_detail, { choice: T[`consent_${mine.choice}`], n: mine.version_number }) }),
        el("p", { class: "diff" }, ...diffNodes(withoutHeading(mine.diff))),
        el("p", { text: T.stale_confirm }),
      ] : []));
    }
    c.stale.hidden = !stale;
    view.node.classList.toggle("stale", stale);
    setText(c.mine, mine && !stale ? fmt(T.your_answer, { choice: T[`consent_${mine.choice}`] })
      : (stale ? "" : T.not_answered));
    for (const [choice, button] of Object.entries(c.buttons)) {
      button.setAttribute("aria-pressed", String(!!mine && !stale && mine.choice === choice));
    }
    const closed = state.workshop.phase === "closed" || documentFinal();
    setText(c.title, closed ? T.clause_consent : T.clause_consent_mine);
    c.group.hidden = closed;
    if (closed) c.reasonForm.hidden = true;
  }

  // -- wording duels -----------------------------------------------------------------
  function duelSecondsLeft(duel) {
    const offset = duelOffsets[duel.id] || 0;
    return Math.max(0, Math.ceil((Date.parse(duel.ends_at) - (Date.now() + offset)) / 1000));
  }

  function updateDuels(view, clause) {
    const duels = (state.duels || []).filter((d) => d.clause_key === clause.key).sort((a, b) => b.id - a.id);
    const nodes = duels.map((duel) => {
      let dv = duelViews.get(duel.id);
      if (!dv) {
        dv = buildDuel(duel);
        duelViews.set(duel.id, dv);
      }
      updateDuel(dv, duel);
      return dv.node;
    });
    syncChildren(view.duels, nodes);
  }

  const optionText = (duel, optionId) => {
    const index = duel.options.findIndex((o) => o.id === optionId);
    return index === -1 ? "" : fmt(T.duel_wording, { n: index + 1 });
  };

  function buildDuel(duel) {
    const id = `duel-${duel.id}`;
    const dv = { id: duel.id, duel, draft: duel.options.map((o) => o.id), syncedMine: undefined };
    dv.title = el("h4", { id: `${id}-title`, text: fmt(T.duel_title, { id: duel.id }) });
    dv.meta = el("p", { class: "meta" });
    dv.timer = el("p", { class: "timer duel-timer", role: "timer", "aria-live": "off" });
    dv.originalLabel = el("span", { class: "meta" });
    dv.original = el("p", { class: "duel-original" }, dv.originalLabel, " ", el("q", { text: duel.original }));
    dv.mine = el("p", { class: "duel-mine", "aria-live": "polite" });
    dv.voters = el("p", { class: "meta duel-voters" });
    dv.results = el("div", { class: "duel-results" });
    dv.form = role === "participant" ? buildDuelBallot(dv, duel) : null;
    // Facilitators, leadership and the projector see the wordings in play (never counts).
    dv.wordings = role === "participant" ? null : el("ol", { class: "duel-wordings" },
      ...duel.options.map((option) => el("li", { class: "duel-option" }, ...wordingNodes(duel, option))));
    if (isFacilitator) {
      dv.error = el("p", { class: "error", role: "alert" });
      dv.tools = el("div", { class: "button-row", role: "group", "aria-labelledby": dv.title.id },
        el("button", { type: "button", class: "small primary", text: T.duel_close,
          onclick: () => duelCommand(dv, "duel.close") }),
        el("button", { type: "button", class: "small", text: T.duel_cancel,
          onclick: () => duelCommand(dv, "duel.cancel") }));
    }
    dv.node = el("section", { class: "duel", "data-duel-id": String(duel.id), "aria-labelledby": dv.title.id },
      dv.title, dv.meta, dv.timer, dv.original, dv.wordings, dv.form, dv.mine, dv.voters, dv.results, dv.tools, dv.error);
    return dv;
  }

  async function duelCommand(dv, name) {
    const ack = await command(name, { duel_id: dv.id });
    dv.error.textContent = ack.ok ? "" : ack.error.message;
    if (ack.ok) announce(name === "duel.close" ? T.duel_closed_ok : T.duel_cancelled);
  }

  function buildDuelBallot(dv, duel) {
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
          return el("div", { class: "duel-option" },
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
        state.my_duel_votes = { ...(state.my_duel_votes || {}), [String(ack.duel_id)]: ack.ranking };
        dv.formError.textContent = "";
        render();
        announce(T.duel_voted);
      } else {
        dv.formError.textContent = ack.error.message;
      }
    });
    return form;
  }

  const isOriginal = (duel, option) => option.text.trim() === duel.original.trim();

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

  function updateDuel(dv, duel) {
    dv.duel = duel;
    const open = duel.status === "open";
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
    setText(dv.originalLabel, open ? T.duel_now : T.duel_before);
    setText(dv.mine, role === "participant" && open ? (mine ? T.duel_voted : T.duel_not_voted) : "");
    dv.mine.hidden = !dv.mine.textContent;
    dv.mine.classList.toggle("voted", !!mine);
    setText(dv.voters, plural(T.voters, duel.results ? duel.results.voters : duel.voters));
    if (dv.tools) dv.tools.hidden = !open;
    if (dv.wordings) dv.wordings.hidden = !open; // once decided, the results list them all
    if (needsRedraw(dv.results, [duel.status, duel.results, duel.winner_id, duel.version_made])) {
      fill(dv.results, ...duelResults(duel));
    }
    updateDuelTimer(dv);
  }

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

  function updateDuelTimer(dv) {
    const duel = dv.duel;
    if (duel.status !== "open") {
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
  window.setInterval(() => { for (const dv of duelViews.values()) if (dv.node.isConnected) updateDuelTimer(dv); }, 1000);

  // -- starting a duel (facilitators) -----------------------------------------------------
  function buildDuelStart(view) {
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
    const addWording = (text) => {
      const fieldId = `${id}-wording-${++serial}`;
      const field = el("textarea", { id: fieldId, rows: "2", maxlength: "1000" });
      field.value = text;
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
    const reset = () => {
      list.replaceChildren();
      span.value = "";
      addWording(inPlay());
      addWording("");
      delete form.dataset.touched;
      error.textContent = "";
    };
    let spanWas = "";
    span.addEventListener("input", () => { // the first wording follows the words in play
      const first = list.querySelector("textarea");
      const before = spanWas || (view.clause ? view.clause.body : "");
      if (first && first.value === before) first.value = inPlay();
      spanWas = span.value.trim();
    });
    add.addEventListener("click", () => addWording("").focus());
    form.addEventListener("input", () => { form.dataset.touched = "yes"; });
    details.addEventListener("toggle", () => { if (details.open && !form.dataset.touched) reset(); });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const payload = {
        clause_key: view.key,
        options: [...list.querySelectorAll("textarea")].map((t) => t.value),
        seconds: Number(seconds.value),
        method: method.value,
      };
      const words = span.value.trim();
      if (words && view.clause) {
        const at = view.clause.body.indexOf(words);
        if (at === -1) { error.textContent = T.duel_span_missing; span.focus(); return; }
        payload.start = view.clause.body_start + at;
        payload.end = payload.start + words.length;
      }
      const ack = await command("duel.start", payload);
      if (ack.ok) {
        details.open = false;
        reset();
        announce(T.duel_started_ok);
      } else {
        error.textContent = ack.error.message;
      }
    });
    reset();
    return details;
  }

  // -- amendments: answered by the method each was proposed under ---------------------------
  const AMEND_CHOICES = {
    consent: ["agree", "live_with", "object"],
    approval: ["yes", "no"],
    score: ["1", "2", "3", "4", "5"],
  };

  /** How an answer reads on screen ("Can live with it", "Yes", "4"). */
  function amendChoiceText(method, choice) {
    if (method === "approval") return T[`amend_${choice}`] || choice;
    if (method === "score") return String(choice);
    return T[`consent_${choice}`] || choice;
  }

  /** The counts in the words of the amendment's method; a score also gets its average. */
  function amendCounts(a) {
    const counts = a.counts || {};
    if (a.method === "approval") return fmt(T.amend_counts_approval, { yes: counts.yes || 0, no: counts.no || 0 });
    if (a.method === "score") {
      const total = AMEND_CHOICES.score.reduce((sum, k) => sum + (counts[k] || 0), 0);
      if (!total || a.mean == null) return T.amend_no_scores;
      const mean = Number(a.mean).toLocaleString(document.documentElement.lang || undefined,
        { minimumFractionDigits: 1, maximumFractionDigits: 1 });
      const parts = [fmt(total === 1 ? T.amend_mean.one : T.amend_mean.other, { mean, n: total })];
      for (const k of [...AMEND_CHOICES.score].reverse()) {
        const n = counts[k] || 0;
        if (n) parts.push(fmt(n === 1 ? T.amend_gave.one : T.amend_gave.other, { n, score: k }));
      }
      return parts.join(" · ");
    }
    return fmt(T.amend_counts, { agree: counts.agree || 0, live_with: counts.live_with || 0, object: counts.object || 0 });
  }

  async function voteOnAmendment(a, choice, reason = "") {
    const ack = await command("amendment.vote", { amendment_id: a.id, choice, reason });
    if (ack.ok) announce(T.answer_saved);
    else notice(ack.error.message);
  }

  /** A participant's controls for an open amendment: buttons (consent, approval) that show the
   * answer given with aria-pressed, or a radio group of scores (arrow keys move and answer). */
  function amendmentControls(a, mine) {
    const method = AMEND_CHOICES[a.method] ? a.method : "consent";
    const key = (choice) => `amend-${a.id}-${choice}`;
    if (method === "score") {
      const group = el("fieldset", { class: "score-controls amend-vote" },
        el("legend", { text: T.amend_score_label }));
      for (const choice of AMEND_CHOICES.score) {
        const id = key(choice);
        group.append(el("span", { class: "score-option" },
          el("input", { type: "radio", name: `amend-${a.id}-score`, id, value: choice,
            checked: mine === choice, "data-focus-key": id,
            onchange: () => voteOnAmendment(a, choice) }),
          el("label", { for: id, text: choice })));
      }
      return group;
    }
    const questionId = `amend-${a.id}-question`;
    const group = el("div", { class: "moderation amend-vote", role: "group", "aria-labelledby": questionId });
    for (const choice of AMEND_CHOICES[method]) {
      group.append(el("button", { type: "button", class: "small", "data-focus-key": key(choice),
        "aria-pressed": String(mine === choice), text: amendChoiceText(method, choice),
        onclick: () => {
          if (choice !== "object") return voteOnAmendment(a, choice);
          const reason = window.prompt(T.object_reason, "") || "";
          if (reason.trim()) voteOnAmendment(a, choice, reason);
        } }));
    }
    return el("div", { class: "amend-answer" },
      el("p", { class: "amend-question", id: questionId,
        text: method === "approval" ? T.amend_approve_question : T.amend_consent_question }),
      group);
  }

  /** Where a clause stands in the current draft (amendments are listed in that order). */
  function clauseOrder(key) {
    const clauses = (state.document && state.document.clauses) || [];
    const index = clauses.findIndex((c) => c.key === key);
    return index < 0 ? clauses.length : index;
  }

  function renderAmendments() {
    const list = $("#amendments");
    if (!list) return;
    const source = $("#amend-source");
    // Nothing to suggest on the final mission (or without a draft).
    if (source) source.closest("details").hidden = !state.document || documentFinal();
    if (source && state.document && source.dataset.version !== String(state.document.number)) {
      source.value = state.document.body_md || "";
      source.dataset.version = String(state.document.number);
    }
    // Open ones first, grouped under their clause, best supported first.
    const order = (a) => (a.clause_key == null ? Infinity : clauseOrder(a.clause_key));
    const amendments = [...(state.amendments || [])].sort((a, b) =>
      Number(b.status === "open") - Number(a.status === "open") || order(a) - order(b)
      || (b.support || 0) - (a.support || 0) || a.id - b.id);
    const mine = state.my_amendment_votes || {};
    // Redraw only on news, so a field in use (a score, a value tag) keeps its focus.
    if (!needsRedraw(list, { amendments, mine, names: amendments.map((a) => clauseName(a.clause_key)) })) return;
    if (!amendments.length) {
      list.replaceChildren(el("li", { class: "empty", text: T.no_amendments }));
      return;
    }
    const active = document.activeElement;
    const focusKey = active && list.contains(active) ? active.dataset.focusKey : null;
    list.replaceChildren(...amendments.map((a) => {
      const diff = el("p", { class: "diff" }, ...diffNodes(a.in_context || a.diff));
      const method = AMEND_CHOICES[a.method] ? a.method : "consent";
      const meta = [fmt(T.on_version, { n: a.version_number }), T.amend_status[a.status], T.amend_methods[method]];
      const where = a.clause_key != null ? clauseName(a.clause_key) : null;
      if (where) meta.unshift(fmt(T.amend_in_clause, { clause: where }));
      if (a.author) meta.unshift(a.author.name + " · " + a.author.level);
      const answer = mine[String(a.id)];
      const item = el("li", { class: `amendment status-${a.status} method-${method}`, "data-amendment-id": String(a.id) }, diff,
        a.reason ? el("p", { text: a.reason }) : null,
        el("p", { class: "meta", text: meta.join(" · ") }),
        el("p", { class: "meta amend-counts", text: amendCounts({ ...a, method }) }),
        (a.objections || []).length ? el("ul", { class: "meta" }, ...a.objections.map((r) => el("li", { text: r }))) : null,
        a.decided_note ? el("p", { class: "meta", text: a.decided_note }) : null,
        valueTags(a, "amendment_id", a.status === "open"));
      if (role === "participant" && a.status === "open") item.append(amendmentControls({ ...a, method }, answer));
      if (role === "participant" && answer != null) {
        item.append(el("p", { class: "my-answer", text: fmt(T.your_answer, { choice: amendChoiceText(method, answer) }) }));
      }
      if (isFacilitator && a.status === "open") {
        item.append(el("div", { class: "moderation", role: "group" },
          el("button", { type: "button", class: "small", text: T.accept,
            onclick: () => staff("amendment.accept", { amendment_id: a.id }) }),
          el("button", { type: "button", class: "small", text: T.reject, onclick: () => {
            const note = window.prompt(T.reject_note, "");
            if (note !== null) staff("amendment.reject", { amendment_id: a.id, note });
          } })));
      }
      return item;
    }));
    if (focusKey) {
      const again = list.querySelector(`[data-focus-key="${focusKey}"]`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  const amendSource = $("#amend-source");

  /** The clause whose words the selection lies in (a suggestion stays inside one clause). */
  function clauseAround(start, end) {
    const clauses = documentClauses();
    const index = clauses.findIndex((c) => c.body_start <= start && end <= c.body_end);
    return index === -1 ? null : { clause: clauses[index], title: clauseTitle(clauses[index], index) };
  }

  const amendSelected = () => amendSource.value.slice(amendSource.selectionStart, amendSource.selectionEnd);

  function showAmendSelection() {
    const text = amendSelected();
    const node = $("#amend-selected");
    if (!text) { node.textContent = ""; node.classList.remove("error"); return; }
    const around = documentClauses().length ? clauseAround(amendSource.selectionStart, amendSource.selectionEnd) : true;
    node.textContent = around === true ? fmt(T.amend_selected, { text })
      : around ? fmt(T.amend_selected_in, { clause: around.title, text }) : T.amend_one_clause;
    node.classList.toggle("error", !around);
  }

  /** "Suggest a change to this clause": open the tools with the clause's words selected. */
  function suggestIn(view) {
    const details = amendSource.closest("details");
    if (details) details.open = true;
    renderAmendments(); // the source text is the latest version
    amendSource.focus();
    amendSource.setSelectionRange(view.clause.body_start, view.clause.body_end);
    amendSource.scrollIntoView({ block: "center" });
    showAmendSelection();
  }

  if (amendSource) {
    amendSource.addEventListener("select", showAmendSelection);
    amendSource.addEventListener("keyup", showAmendSelection);
    amendSource.addEventListener("mouseup", showAmendSelection);
    $("#amend-send").addEventListener("click", async () => {
      const error = $("#amend-error");
      if (!amendSelected() || !state.document) { error.textContent = T.amend_select_first; return; }
      if (documentClauses().length && !clauseAround(amendSource.selectionStart, amendSource.selectionEnd)) {
        error.textContent = T.amend_one_clause;
        return;
      }
      const ack = await command("amendment.propose", {
        version_number: Number(amendSource.dataset.version),
        start: amendSource.selectionStart,
        end: amendSource.selectionEnd,
        replacement: $("#amend-replacement").value,
        reason: $("#amend-reason").value,
      });
      if (ack.ok) {
        error.textContent = "";
        $("#amend-replacement").value = "";
        $("#amend-reason").value = "";
        announce(T.amend_sent);
      } else {
        error.textContent = ack.error.message;
      }
    });
  }

  function budgetBlock(budget) {
    if (!budget) return null;
    const total = budget.total.limit
      ? fmt(T.budget_limit, { words: budget.total.words, limit: budget.total.limit })
      : fmt(T.budget_total, { words: budget.total.words });
    const over = budget.clauses.filter((c) => c.over).map((c) => fmt(T.budget_clause,
      { n: c.index, start: c.start, words: c.words, limit: c.limit }));
    if (budget.total.over) over.unshift(total);
    return el("div", { class: "budget-line" + (over.length ? " over" : "") },
      el("p", { class: "meta", text: `${total} · ${fmt(T.sentence_length, { n: budget.average_sentence_words })}` }),
      over.length ? el("p", { class: "error", role: "status", text: fmt(T.budget_over, { what: over.join("; ") }) }) : null);
  }

  function renderCoverage() {
    const node = $("#coverage");
    if (!node) return;
    const wording = state.wording;
    if (state.document && wording) {
      fill(node, budgetBlock(wording.budget));
    }
    if (!state.document || !wording || (!wording.coverage.shared.length &&
        !wording.words.approved_used.length && !wording.words.approved_missing.length &&
        !wording.words.vetoed_used.length)) {
      if (!state.document || !wording) node.replaceChildren();
      return;
    }
    const list = (title, items, cls) => items.length
      ? el("div", { class: `coverage-list ${cls}` }, el("h4", { text: title }),
        el("ul", {}, ...items.map((text) => el("li", { text }))))
      : null;
    fill(node, budgetBlock(wording.budget), el("section", { class: "coverage" },
      el("h3", { text: T.coverage_title }),
      list(T.coverage_expressed, wording.coverage.expressed, "ok"),
      list(T.coverage_missing, wording.coverage.missing, "missing"),
      list(T.words_approved_used, wording.words.approved_used, "ok"),
      list(T.words_approved_missing, wording.words.approved_missing, "missing"),
      list(T.words_vetoed_used, wording.words.vetoed_used, "vetoed")));
  }

  /** Value tags on a proposal or an amendment (``target`` names which), and a way to add one. */
  function valueTags(proposal, target = "proposal_id", taggable = !proposal.status || proposal.status === "visible") {
    const tags = proposal.values || [];
    const shown = role === "projector" ? tags.filter((t) => t.confirmed) : tags;
    const box = el("div", { class: "value-tags" });
    for (const tag of shown) {
      const label = tag.confirmed ? tag.name : `${tag.name} (${fmt(T.tag_supporters, { n: tag.supporters })})`;
      const chip = el("span", { class: "chip" + (tag.confirmed ? " confirmed" : "") }, label);
      if (role === "participant" && !tag.confirmed) {
        chip.append(el("button", { type: "button", class: "small", text: "+1",
          "aria-label": fmt(T.tag_support, { name: tag.name }),
          onclick: () => command("value.tag", { [target]: proposal.id, value_key: tag.key }) }));
      }
      if (isFacilitator) {
        chip.append(el("button", { type: "button", class: "small", text: "×",
          "aria-label": fmt(T.untag, { name: tag.name }),
          onclick: () => staff("value.untag", { tag_id: tag.id }) }));
      }
      box.append(chip);
    }
    if ((role === "participant" || isFacilitator) && catalogue.length && taggable) {
      const id = `tag-${target}-${proposal.id}`;
      const select = el("select", { id, onchange: async (e) => {
        if (!e.target.value) return;
        const ack = await command("value.tag", { [target]: proposal.id, value_key: e.target.value });
        if (!ack.ok) notice(ack.error.message);
      } }, el("option", { value: "", text: T.tag_choose }),
      ...catalogue.map((g) => el("optgroup", { label: g.name },
        ...g.values.map((v) => el("option", { value: v.key, text: v.name })))));
      box.append(el("label", { for: id, class: "visually-hidden", text: T.tag_value }), select);
    }
    return box;
  }

  // ---- proposals -----------------------------------------------------------
  /** A stable shuffle for anonymous read-out: the same order on every screen. */
  const shuffleKey = (id) => Math.imul(id ^ 0x5bd1e995, 2654435761) >>> 0;

  function renderProposals() {
    const list = $("#proposals");
    if (!list) return;
    const phase = state.workshop.phase;
    let proposals = [...state.proposals];
    if (role === "projector") proposals = proposals.filter((p) => !p.status || p.status === "visible");
    const queue = $("#queue");
    if (queue) {
      const waiting = proposals.filter((p) => p.status === "pending");
      proposals = proposals.filter((p) => p.status !== "pending");
      $("#queue-count").textContent = `(${waiting.length})`;
      queue.replaceChildren(...(waiting.length ? waiting.map((p) => proposalCard(p, phase))
        : [el("li", { class: "empty", text: T.no_proposals_staff })]));
    }
    const results = state.vote && state.vote.results;
    const place = new Map(((results && results.ranking) || []).map((id, i) => [id, i]));
    if (state.workshop.readout_anonymous && publicView) {
      proposals.sort((a, b) => shuffleKey(a.id) - shuffleKey(b.id));
    } else if (place.size) {
      proposals.sort((a, b) => (place.get(a.id) ?? 1e9) - (place.get(b.id) ?? 1e9) || a.id - b.id);
    } else if (phase === "propose") {
      proposals.sort((a, b) => b.id - a.id);
    } else {
      proposals.sort((a, b) => a.id - b.id);
    }
    proposals.sort((a, b) => Number(b.pinned) - Number(a.pinned));
    const badge = $("#proposal-count-badge");
    if (badge) badge.textContent = "(" + proposals.filter((p) => !p.status || p.status === "visible").length + ")";
    list.replaceChildren();
    if (!proposals.length) {
      list.append(el("li", { class: "empty", text: isStaff ? T.no_proposals_staff : T.no_proposals }));
      return;
    }
    for (const proposal of proposals) list.append(proposalCard(proposal, phase));
  }

  function authorsOf(proposal) {
    let authors = proposal.authors || [];
    // The projector shows what participants would see.
    if (role === "projector" && (state.workshop.readout_anonymous || proposal.anonymity !== "named")) {
      authors = [];
    }
    return authors.map((a) => a.name + " · " + a.level + (a.department ? " · " + a.department : "")).join("; ");
  }

  function proposalCard(proposal, phase) {
    const status = proposal.status || "visible";
    const li = el("li", { class: `proposal status-${status}${proposal.pinned ? " pinned" : ""}`,
      "data-proposal-id": String(proposal.id) });
    const body = el("div", { class: "proposal-body" });
    body.innerHTML = proposal.body_html; // sanitised on the server
    const meta = el("p", { class: "meta" });
    if (isStaff && role !== "projector") meta.append(el("span", { class: "card-number", text: `#${proposal.id} ` }));
    const authors = authorsOf(proposal);
    if (authors) meta.append(el("span", { class: "author", text: authors }));
    if (proposal.pinned) meta.append(el("span", { class: "tag tag-neutral", text: T.pinned }));
    if (status === "pending") meta.append(el("span", { class: "tag", text: T.pending }));
    if (status === "hidden") {
      meta.append(el("span", { class: "tag", text: T.hidden_reason_label + (proposal.hidden_reason ? ": " + proposal.hidden_reason : "") }));
    }
    if (status === "merged") meta.append(el("span", { class: "tag", text: fmt(T.merged_into, { id: proposal.merged_into_id }) }));
    li.append(body, meta, valueTags(proposal));
    const round = voteRound();
    if (role === "participant" && phase === "vote" && round && !["values", "vocabulary"].includes(round.kind) && inputOpen(currentRound()) &&
        currentRound() && currentRound().id === round.id) {
      li.append(ballotControls(proposal, round));
    }
    if (isFacilitator) li.append(moderationControls(proposal));
    if (role !== "projector") li.append(commentsBlock(proposal));
    return li;
  }

  function commentsBlock(proposal) {
    const comments = proposal.comments || [];
    const details = el("details", { class: "comments" },
      el("summary", { text: `${T.comments} (${comments.filter((c) => !c.status || c.status === "visible").length})` }));
    const list = el("ul");
    for (const comment of comments) {
      const item = el("li", { class: `comment status-${comment.status || "visible"}` });
      const text = el("div");
      text.innerHTML = comment.body_html; // sanitised on the server
      item.append(text);
      const who = comment.author ? comment.author.name : "";
      if (who) item.append(el("p", { class: "meta", text: who }));
      if (isFacilitator) {
        const visible = !comment.status || comment.status === "visible";
        if (comment.status === "pending") item.append(el("span", { class: "tag", text: T.pending }));
        item.append(el("button", { type: "button", class: "small",
          text: visible ? T.hide : (comment.status === "pending" ? T.approve_card : T.restore),
          onclick: () => staff("comment.moderate", { comment_id: comment.id, visible: !visible }) }));
      }
      list.append(item);
    }
    details.append(list);
    if (role === "participant") {
      const input = el("input", { type: "text", maxlength: "500", id: `comment-${proposal.id}`,
        "aria-label": T.add_comment, placeholder: T.add_comment });
      const form = el("form", { class: "comment-form" }, input,
        el("button", { type: "submit", class: "small", text: T.send }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (!input.value.trim()) return;
        const ack = await command("comment.add", { proposal_id: proposal.id, body: input.value, op_id: newOpId() });
        if (ack.ok) {
          input.value = "";
          if (ack.status === "pending") notice(T.comment_pending);
        } else {
          notice(ack.error.message);
        }
      });
      details.append(form);
    }
    return details;
  }

  function moderationControls(proposal) {
    const status = proposal.status || "visible";
    const tools = el("div", { class: "moderation", role: "group" });
    const button = (text, handler) => el("button", { type: "button", class: "small", text, onclick: handler });
    if (status === "pending") {
      tools.append(button(T.approve_card, () => staff("proposal.approve", { proposal_id: proposal.id })));
    }
    if (status === "hidden") {
      tools.append(button(T.restore, () => staff("proposal.restore", { proposal_id: proposal.id })));
    } else if (status !== "merged") {
      tools.append(button(T.hide, () => {
        const reason = window.prompt(T.hide_reason, "");
        if (reason !== null) staff("proposal.hide", { proposal_id: proposal.id, reason });
      }));
    }
    if (status === "visible") {
      tools.append(button(proposal.pinned ? T.unpin : T.pin,
        () => staff("proposal.pin", { proposal_id: proposal.id, pinned: !proposal.pinned })));
      tools.append(button(T.merge, () => {
        const target = Number(window.prompt(T.merge_prompt, ""));
        if (target) staff("proposal.merge", { keep_id: target, merge_id: proposal.id });
      }));
      tools.append(button(T.split, () => {
        const text = window.prompt(T.split_prompt, proposal.body_md || "");
        if (text) {
          const parts = text.split(/\n?---\n?/).map((p) => p.trim()).filter(Boolean);
          staff("proposal.split", { proposal_id: proposal.id, parts });
        }
      }));
    }
    return tools;
  }

  // ---- staff commands ------------------------------------------------------
  async function staff(name, payload) {
    const ack = await command(name, payload);
    const node = $("#console-error");
    if (node) node.textContent = ack.ok ? "" : ack.error.message;
    return ack;
  }

  const addRound = $("#add-round-form");
  if (addRound) {
    addRound.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(addRound);
      const kind = data.get("kind");
      const ack = await staff("round.add", {
        kind,
        prompt: data.get("prompt") || "",
        minutes: Number(data.get("minutes") || 0),
        method: kind === "vote" ? data.get("method") : null,
        anonymity: data.get("anonymity") || null,
        blind: data.get("blind") === "on",
        premoderation: data.get("premoderation") === "on",
        breakdown_by_level: data.get("breakdown_by_level") === "on",
        words: kind === "vocabulary" ? String(data.get("words") || "").split("\n")
          .map((line) => line.split(":")).filter(([word]) => word && word.trim())
          .map(([word, category]) => ({ word: word.trim(), category: (category || "what").trim().toLowerCase() })) : [],
      });
      if (ack.ok) addRound.reset();
    });
  }
  const template = $("#use-template");
  if (template) template.addEventListener("click", () => staff("agenda.template", {}));
  const readoutToggle = $("#readout-toggle");
  if (readoutToggle) {
    readoutToggle.addEventListener("change", () =>
      staff("readout.set", { anonymous: readoutToggle.checked }));
  }
  root.querySelectorAll("[data-set-phase]").forEach((button) => {
    button.addEventListener("click", () => staff("phase.set", { phase: button.dataset.setPhase }));
  });

  // ---- proposal form ---------------------------------------------------------
  const form = $("#proposal-form");
  if (form) {
    const body = $("#proposal-body");
    const counter = $("#proposal-count");
    const updateCounter = () => {
      counter.textContent = fmt(T.chars_left, { left: body.maxLength - body.value.length });
    };
    body.addEventListener("input", updateCounter);
    updateCounter();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = $("#proposal-error");
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const ack = await command("proposal.submit", { body: body.value, op_id: newOpId() });
      button.disabled = false;
      if (ack.ok) {
        body.value = "";
        updateCounter();
        error.textContent = "";
        announce(ack.status === "pending" ? T.pending_sent : T.sent);
        if (ack.status === "pending") notice(T.pending_sent);
      } else {
        error.textContent = ack.error.message;
      }
      body.focus();
    });
  }
})();
