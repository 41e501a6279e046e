// The sign-in form. A refused session comes back here with the reason shown above the form.

import { h } from "../dom.js";
import { describe } from "../errors.js";

export function renderSignIn(main, { session, notice }) {
  const message = h("p", { class: "form-error", id: "sign-in-error", role: "alert" });
  const email = h("input", { id: "email", name: "email", type: "email", autocomplete: "username", required: true });
  const password = h("input", {
    id: "password", name: "password", type: "password", autocomplete: "current-password", required: true,
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "sign-in", "aria-describedby": "sign-in-error", novalidate: true },
    h("h1", { tabindex: "-1" }, "Sign in to Agentgraph"),
    notice ? h("p", { class: "notice", role: "status", id: "session-notice" }, notice) : null,
    h("label", { for: "email" }, "Email"), email,
    h("label", { for: "password" }, "Password"), password,
    message,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.textContent = "";
    if (!email.value.trim() || !password.value) {
      message.textContent = "Enter your email and password.";
      (email.value.trim() ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Signing in…";
    try {
      await session.signIn(email.value.trim(), password.value);
    } catch (error) {
      message.textContent = error.code === "UNAUTHENTICATED" ? "Wrong email or password." : describe(error);
      submit.disabled = false;
      submit.textContent = "Sign in";
      password.select();
      password.focus();
    }
  });
  main.replaceChildren(h("div", { class: "centered" }, form));
  email.focus();
  return () => {};
}
