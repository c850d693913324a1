// After wait-figures.js: the math left untypeset and the TeX left in the prose of the page to print.
() => {
  const math = Array.from(document.querySelectorAll('.math'));
  const untypeset = math.filter(m => !m.querySelector('mjx-container') && !m.closest('mjx-container'));
  // TeX left in the prose (code is not prose): the same rule as the browser test's RAW_MATH
  const clone = (document.querySelector('main') || document.body).cloneNode(true);
  clone.querySelectorAll('pre, code, .highlight, script, style, .cc-figure, mjx-container, '
                         + '.output.text_plain, .output.stream').forEach(e => e.remove());
  const text = clone.textContent;
  const raw = ['$$', '\\frac', '\\alpha', '\\begin{'].filter(p => text.includes(p));
  for (const m of text.matchAll(/\$(?=\S)([^$\n]{1,120}?)(?<=\S)\$/g)) {
    if (/\\[A-Za-z]|[\^_{}]/.test(m[1]) || /^[A-Za-z]'?$/.test(m[1])) raw.push(m[0]);
  }
  return {raw_math: raw, untypeset: untypeset.length};
}
