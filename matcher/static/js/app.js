// Small progressive enhancements; every page works without them.
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
  const button = select.form.querySelector("button[type=submit]");
  if (button) button.classList.add("visually-hidden");
});
