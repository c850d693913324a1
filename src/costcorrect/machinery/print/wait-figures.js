// Wait until every figure has an SVG with marks (at most 30 s) and MathJax has finished; return one
// record per figure: its id, its marks, its size and the start of its text (costcorrect.machinery.pdf
// and the browser test evaluate it on a page).
async () => {
  const figs = Array.from(document.querySelectorAll('.cc-figure'));
  for (let i = 0; i < 300; i++) {
    if (figs.every(f => f.querySelector('svg path, svg rect, svg text'))) break;
    await new Promise(r => setTimeout(r, 100));
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  return figs.map(f => {
    const svg = f.querySelector('svg');
    const marks = svg ? svg.querySelectorAll('path, rect, circle, line, text').length : 0;
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {id: f.id, marks: marks, width: box.width, height: box.height, text: f.textContent.slice(0, 80)};
  });
}
