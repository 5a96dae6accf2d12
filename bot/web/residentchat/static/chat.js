// The resident chat page: sends what the resident types, presses, photographs or shares to
// /chat/send and /chat/photo, shows the replies, and listens for pushes on /chat/events.
// Every text goes into the page with textContent, never innerHTML: nothing a person or the
// server writes can become markup or script.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const labels = JSON.parse(document.getElementById("labels").textContent);
  const log = document.getElementById("log");
  const statusLine = document.getElementById("status");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const photoInput = document.getElementById("photo-input");
  const STORE = "hotline-chat";
  let transcript = [];

  function messageId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function setStatus(text) {
    statusLine.textContent = text || "";
    statusLine.hidden = !text;
  }

  function save() {
    try {
      sessionStorage.setItem(STORE, JSON.stringify(transcript.slice(-200)));
    } catch (e) {
      /* private mode: the transcript just is not kept across reloads */
    }
  }

  function disableOldButtons() {
    log.querySelectorAll("button.choice").forEach((b) => { b.disabled = true; });
  }

  function show(entry, keep) {
    const bubble = document.createElement("div");
    bubble.className = "msg " + entry.who;
    if (entry.image) {
      const img = document.createElement("img");
      img.src = entry.image;
      img.alt = labels.photo;
      bubble.appendChild(img);
    } else {
      const text = document.createElement("p");
      text.textContent = entry.text;
      bubble.appendChild(text);
    }
    if (entry.photos) {
      const note = document.createElement("p");
      note.className = "photos";
      note.textContent = "📷 × " + entry.photos;
      bubble.appendChild(note);
    }
    if (entry.buttons && entry.buttons.length) {
      disableOldButtons();
      entry.buttons.forEach((row) => {
        const line = document.createElement("div");
        line.className = "choices";
        row.forEach((b) => {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "choice";
          button.textContent = b.label;
          button.addEventListener("click", () => {
            disableOldButtons();
            say({ who: "me", text: b.label });
            send({ choice: b.payload });
          });
          line.appendChild(button);
        });
        bubble.appendChild(line);
      });
    }
    log.appendChild(bubble);
    bubble.scrollIntoView({ block: "end" });
    if (keep !== false && !entry.image) {
      transcript.push(entry);
      save();
    }
  }

  function say(entry) { show(entry, true); }

  function showReplies(data) {
    (data.replies || []).forEach((r) => say({ who: "bot", text: r.text, buttons: r.buttons, photos: r.photos }));
    if (data.cases) showCases(data.cases);
  }

  function showCases(cases) {
    const list = document.getElementById("case-list");
    list.replaceChildren();
    cases.forEach((c) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = c.url;
      link.textContent = c.number;
      const state = document.createElement("span");
      state.textContent = " " + c.state;
      item.append(link, state);
      list.appendChild(item);
    });
    document.getElementById("cases").hidden = cases.length === 0;
  }

  async function post(url, body, headers) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: Object.assign({ "X-CSRF-Token": csrf }, headers || {}),
      body: body,
    });
    if (response.status === 429) { setStatus(labels.busy); return null; }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      setStatus(labels[data.error] || labels.error);
      return null;
    }
    setStatus("");
    return data;
  }

  async function send(message) {
    message.id = messageId();
    try {
      const data = await post("/chat/send", JSON.stringify(message), { "Content-Type": "application/json" });
      if (data) showReplies(data);
    } catch (e) {
      setStatus(labels.error);
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    say({ who: "me", text: text });
    send({ text: text });
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  document.getElementById("photo-button").addEventListener("click", () => photoInput.click());
  photoInput.addEventListener("change", async () => {
    const file = photoInput.files[0];
    photoInput.value = "";
    if (!file) return;
    show({ who: "me", image: URL.createObjectURL(file) }, false);
    const body = new FormData();
    body.append("id", messageId());
    body.append("photo", file);
    try {
      const data = await post("/chat/photo", body);
      if (data) showReplies(data);
    } catch (e) {
      setStatus(labels.error);
    }
  });

  document.getElementById("location-button").addEventListener("click", () => {
    if (!navigator.geolocation) { setStatus(labels.no_location); return; }
    setStatus(labels.locating);
    navigator.geolocation.getCurrentPosition(
      (position) => {
        setStatus("");
        const lat = position.coords.latitude, lon = position.coords.longitude;
        say({ who: "me", text: "📍 " + lat.toFixed(5) + ", " + lon.toFixed(5) });
        send({ location: { lat: lat, lon: lon } });
      },
      () => setStatus(labels.no_location),
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });

  document.getElementById("find-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = JSON.stringify({
      phone: document.getElementById("find-phone").value,
      number: document.getElementById("find-number").value,
    });
    const data = await post("/chat/find", body, { "Content-Type": "application/json" }).catch(() => null);
    if (data) showCases(data.cases);
  });

  function listen() {
    const events = new EventSource("/chat/events");
    events.addEventListener("push", (event) => {
      const message = JSON.parse(event.data);
      say({ who: "bot push", text: message.text, buttons: message.buttons, photos: message.photos });
    });
    events.addEventListener("open", () => setStatus(""));
    events.addEventListener("error", () => setStatus(labels.offline));
  }

  try {
    transcript = JSON.parse(sessionStorage.getItem(STORE) || "[]");
  } catch (e) {
    transcript = [];
  }
  transcript.forEach((entry) => show(entry, false));
  disableOldButtons();
  const last = log.lastElementChild;
  if (last) last.querySelectorAll("button.choice").forEach((b) => { b.disabled = false; });
  if (transcript.length === 0) send({ text: "/start" });
  fetch("/chat/mine", { credentials: "same-origin" })
    .then((r) => r.json())
    .then((data) => showCases(data.cases || []))
    .catch(() => {});
  listen();
})();
