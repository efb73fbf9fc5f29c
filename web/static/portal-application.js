// The application form's helpers (portal_application_pages.cpp): a question
// whose condition is another question of the same step is shown only while
// that answer fits, and the step's answers are saved in the background when
// they change. Without JavaScript every question of the step is shown and the
// answers are saved with each button.
document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('pw-application-step');
  if (!form) return;

  // The answer a condition compares: a radio group's choice, a tick box as
  // "true"/"false", any other input's text; null when nothing is chosen.
  const answer = (name) => {
    const inputs = [...form.elements].filter((e) => e.name === name);
    if (inputs.length === 0) return null;
    if (inputs[0].type === 'radio') {
      const chosen = inputs.find((e) => e.checked);
      return chosen ? chosen.value : null;
    }
    if (inputs[0].type === 'checkbox') return inputs[0].checked ? 'true' : 'false';
    return inputs[0].value;
  };
  const conditional = [...form.querySelectorAll('[data-when-field]')];
  const showWhatHolds = () => {
    for (const wrapper of conditional) {
      let values = [];
      try {
        values = JSON.parse(wrapper.dataset.whenValues);
      } catch {
        continue;
      }
      const condition = document.getElementById(`wrap-${wrapper.dataset.whenField}`);
      const shown = (!condition || !condition.hidden) && values.includes(answer(wrapper.dataset.whenField));
      wrapper.hidden = !shown;
    }
  };
  showWhatHolds();
  form.addEventListener('change', showWhatHolds);

  // Saving as the citizen goes: the same post as the buttons, answered with
  // 204 and no page. A failure changes nothing: the buttons save too.
  let timer = null;
  const save = () => {
    const body = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === 'string') body.append(name, value);
    }
    body.set('action', 'autosave');
    fetch(form.action, { method: 'POST', body, credentials: 'same-origin', redirect: 'manual' }).catch(() => {});
  };
  form.addEventListener('change', () => {
    clearTimeout(timer);
    timer = setTimeout(save, 1000);
  });
  // A button pressed while a save waits: the button's post saves.
  form.addEventListener('submit', () => clearTimeout(timer));
});
