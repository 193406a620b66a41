/*
 * Live workshop client: one snapshot, then ordered events (docs/protocol.md).
 *
 * The server sends `state.snapshot` on every (re)connect. Every later event
 * carries `seq`; an event that skips a number means we missed something, so
 * we ask for a fresh snapshot instead of showing stale data. Commands that
 * have not been acknowledged are re-sent after a reconnect with the same
 * operation id, and the server applies each id once.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-live]");
  if (!root) return;
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const role = root.dataset.role; // participant | facilitator | leadership
  const isStaff = role !== "participant";
  const workshopId = Number(root.dataset.workshopId);

  let state = null;
  let awaitingSnapshot = true; // events are held back until a snapshot is loaded
  let buffered = []; // [name, event] received while awaiting a snapshot
  const appliers = {}; // event name -> function applying it to state
  const pending = new Map(); // opId -> {name, payload, resolve}

  const $ = (sel) => root.querySelector(sel);
  const fmt = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));

  /** "1 dot" / "2 dots": the right form of a {one, other} pair for a count. */
  function plural(forms, n) {
    return fmt(n === 1 ? forms.one : forms.other, { n });
  }

  function announce(text) {
    const el = $("#announcer");
    if (!el) return;
    el.textContent = "";
    window.setTimeout(() => { el.textContent = text; }, 50);
  }

  function newOpId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes); // works on plain-http LAN addresses too
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---- connection --------------------------------------------------------
  const socket = window.io({ auth: { workshop_id: workshopId } });

  // Commands that are safe to send twice: proposal.submit carries an op_id the
  // server applies once, vote.set sets an absolute number. Others are not resent.
  const RESENDABLE = new Set(["proposal.submit", "vote.set"]);

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
    const el = $("#connection");
    if (!el) return;
    el.textContent = ok ? "" : T.reconnecting;
    el.classList.toggle("offline", !ok);
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
    const held = buffered.sort((a, b) => a[1].seq - b[1].seq);
    buffered = [];
    for (const [name, event] of held) receive(name, event, false);
    render();
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

  function upsertProposal(proposal) {
    const index = state.proposals.findIndex((p) => p.id === proposal.id);
    if (index === -1) state.proposals.push(proposal);
    else state.proposals[index] = proposal;
  }

  sequenced("seq.skip", () => {});
  sequenced("proposal.submitted", (e) => {
    const isNew = !state.proposals.some((p) => p.id === e.proposal.id);
    upsertProposal(e.proposal);
    if (isNew) announce(fmt(T.new_proposal, { name: e.proposal.author.name }));
  });
  sequenced("proposal.hidden", (e) => {
    if (e.proposal) upsertProposal(e.proposal);
    else state.proposals = state.proposals.filter((p) => p.id !== e.proposal_id);
  });
  sequenced("vote.tallied", (e) => {
    const proposal = state.proposals.find((p) => p.id === e.proposal_id);
    if (proposal) { proposal.dots = e.dots; proposal.voters = e.voters; }
  });
  sequenced("phase.changed", (e) => {
    state.workshop.phase = e.phase;
    state.workshop.phase_changed_at = e.phase_changed_at;
    announce(fmt(T.phase_announce, { phase: T.phases[e.phase] }));
  });
  sequenced("presence.changed", (e) => { state.presence = e.presence; });
  sequenced("participant.joined", () => {});
  sequenced("document.saved", (e) => {
    state.document = e.version;
    announce(fmt(T.draft_saved, { number: e.version.number }));
  });
  sequenced("workshop.updated", (e) => {
    state.workshop = e.workshop;
    if (state.me) {
      const spent = Object.values(state.me.votes).reduce((sum, dots) => sum + dots, 0);
      state.me.budget = e.workshop.dots_per_participant;
      state.me.dots_left = Math.max(state.me.budget - spent, 0);
    }
  });
  socket.on("vote.mine", (mine) => {
    if (state) { state.me = mine; render(); }
  });

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
    root.querySelectorAll("[data-set-phase]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.setPhase === phase));
    });
    root.querySelectorAll("[data-when]").forEach((section) => {
      section.hidden = !section.dataset.when.split(" ").includes(phase);
    });
    renderPresence();
    renderBudget();
    renderDocument();
    renderProposals();
  }

  function renderPresence() {
    const p = state.presence;
    root.querySelectorAll("[data-presence-line]").forEach((el) => {
      el.textContent = fmt(T.online, { online: p.online, joined: p.joined });
    });
    const bars = $("#presence-levels");
    if (!bars) return;
    bars.replaceChildren();
    const levels = state.workshop.levels;
    const max = Math.max(1, ...levels.map((l) => p.by_level[l] || 0));
    if (!p.online) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = T.nobody_online;
      bars.append(empty);
      return;
    }
    for (const level of levels) {
      const count = p.by_level[level] || 0;
      const row = document.createElement("div");
      row.className = "bar-row";
      row.innerHTML = '<span class="bar-label"></span><span class="bar"><span class="bar-fill"></span></span><span class="bar-value"></span>';
      row.querySelector(".bar-label").textContent = level;
      row.querySelector(".bar-fill").style.width = (100 * count / max) + "%";
      row.querySelector(".bar-value").textContent = String(count);
      bars.append(row);
    }
  }

  function renderBudget() {
    const el = $("#budget");
    if (!el || !state.me) return;
    el.textContent = fmt(T.dots_left, { left: state.me.dots_left, budget: state.me.budget });
  }

  function renderDocument() {
    const el = $("#document");
    if (!el) return;
    if (!state.document) {
      el.innerHTML = "";
      const p = document.createElement("p");
      p.className = "empty";
      p.textContent = T.no_draft;
      el.append(p);
      return;
    }
    const d = state.document;
    el.innerHTML = '<p class="meta"></p><div class="document-body"></div>';
    el.querySelector(".meta").textContent =
      fmt(T.version, { number: d.number }) + " · " + fmt(T.by, { name: d.author }) +
      (d.note ? " · " + d.note : "");
    el.querySelector(".document-body").innerHTML = d.html; // sanitised on the server
  }

  function renderProposals() {
    const list = $("#proposals");
    if (!list) return;
    const phase = state.workshop.phase;
    const showRanked = phase === "vote" || phase === "draft" || phase === "closed";
    const proposals = [...state.proposals];
    if (showRanked) proposals.sort((a, b) => b.dots - a.dots || a.id - b.id);
    else proposals.sort((a, b) => b.id - a.id);
    const badge = $("#proposal-count-badge");
    if (badge) badge.textContent = "(" + proposals.filter((p) => !p.hidden).length + ")";
    list.replaceChildren();
    if (!proposals.length) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = isStaff ? T.no_proposals_staff : T.no_proposals;
      list.append(li);
      return;
    }
    for (const proposal of proposals) list.append(proposalCard(proposal, phase));
  }

  function proposalCard(proposal, phase) {
    const li = document.createElement("li");
    li.className = "proposal" + (proposal.hidden ? " is-hidden" : "");
    li.dataset.proposalId = String(proposal.id);
    li.innerHTML =
      '<div class="proposal-body"></div>' +
      '<p class="meta"><span class="author"></span> <span class="tally"></span></p>';
    li.querySelector(".proposal-body").innerHTML = proposal.body_html; // sanitised on the server
    const a = proposal.author;
    li.querySelector(".author").textContent =
      a.name + " · " + a.level + (a.department ? " · " + a.department : "");
    li.querySelector(".tally").textContent = fmt(T.tally, {
      dots: plural(T.dot_count, proposal.dots),
      people: plural(T.people_count, proposal.voters),
    });
    if (proposal.hidden) {
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = T.hidden + (proposal.hidden_reason ? ": " + proposal.hidden_reason : "");
      li.querySelector(".meta").append(tag);
    }
    if (role === "participant" && phase === "vote") li.append(voteControls(proposal));
    if (role === "facilitator") li.append(moderationControls(proposal));
    return li;
  }

  function voteControls(proposal) {
    const mine = (state.me && state.me.votes[String(proposal.id)]) || 0;
    const group = document.createElement("div");
    group.className = "vote-controls";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", T.your_dots);
    const minus = document.createElement("button");
    minus.type = "button";
    minus.textContent = "−";
    minus.setAttribute("aria-label", T.remove_dot);
    minus.disabled = mine === 0;
    minus.dataset.vote = "minus";
    const count = document.createElement("output");
    count.textContent = String(mine);
    count.className = "my-dots";
    const plus = document.createElement("button");
    plus.type = "button";
    plus.textContent = "+";
    plus.setAttribute("aria-label", T.add_dot);
    plus.disabled = !state.me || state.me.dots_left === 0;
    plus.dataset.vote = "plus";
    minus.addEventListener("click", () => setDots(proposal.id, mine - 1));
    plus.addEventListener("click", () => setDots(proposal.id, mine + 1));
    group.append(minus, count, plus);
    return group;
  }

  async function setDots(proposalId, dots) {
    const ack = await command("vote.set", { proposal_id: proposalId, dots });
    const error = $("#vote-error");
    if (ack.ok) {
      state.me = ack.me;
      if (error) error.textContent = "";
      render();
      const again = root.querySelector(`[data-proposal-id="${proposalId}"] [data-vote="${dots > 0 ? "plus" : "minus"}"]`);
      if (again && !again.disabled) again.focus();
    } else if (error) {
      error.textContent = ack.error.message;
    }
  }

  function moderationControls(proposal) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small";
    button.textContent = proposal.hidden ? T.restore : T.hide;
    button.addEventListener("click", async () => {
      let ack;
      if (proposal.hidden) {
        ack = await command("proposal.restore", { proposal_id: proposal.id });
      } else {
        const reason = window.prompt(T.hide_reason, "");
        if (reason === null) return;
        ack = await command("proposal.hide", { proposal_id: proposal.id, reason });
      }
      showConsoleError(ack);
    });
    return button;
  }

  function showConsoleError(ack) {
    const el = $("#console-error");
    if (el) el.textContent = ack.ok ? "" : ack.error.message;
  }

  // ---- forms and controls -------------------------------------------------
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
        announce(T.sent);
      } else {
        error.textContent = ack.error.message;
      }
      body.focus();
    });
  }

  root.querySelectorAll("[data-set-phase]").forEach((button) => {
    button.addEventListener("click", async () => {
      showConsoleError(await command("phase.set", { phase: button.dataset.setPhase }));
    });
  });
})();
