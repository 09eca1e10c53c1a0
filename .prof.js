const tf = require('@tensorflow/tfjs');
const { resolveGanIntClsConfig } = require('./dist/src/config/gan-int-cls.js');
const { buildGanIntClsGenerator, buildGanIntClsDiscriminator } = require('./dist/src/models/gan-int-cls.js');
(async () => {
  await tf.setBackend('cpu');
  const cfg = resolveGanIntClsConfig('tiny');
  const G = buildGanIntClsGenerator(cfg.model), D = buildGanIntClsDiscriminator(cfg.model);
  const z = tf.randomNormal([6,100]), t = tf.randomNormal([6,1024]);
  for (let i=0;i<2;i++){
  let t0 = Date.now(); const img = G.apply([z,t],{training:true}); await img.data(); console.log('G fwd', Date.now()-t0);
  t0 = Date.now(); const p = D.apply([img,t],{training:true}); await p.data(); console.log('D fwd', Date.now()-t0);
  }
  const vars = G.trainableWeights.map(w=>w.read());
  const prof = await tf.profile(() => { const g = tf.variableGrads(() => tf.mean(D.apply([G.apply([z,t],{training:true}),t],{training:true})), vars); return g.value; });
  const agg = {};
  for (const k of prof.kernels) agg[k.name] = (agg[k.name]||0) + k.kernelTimeMs;
  console.log(Object.entries(agg).sort((a,b)=>b[1]-a[1]).slice(0,10));
})();
