import { createBuiltInCatalog } from '@/engine/strategies/built-in-strategies';
import { featureConfigFor } from '@/engine/features/feature-config';
const cat: any = createBuiltInCatalog();
const ads = ['ma-crossover','rsi-mean-reversion','ema-trend','donchian-breakout'].map((n) => cat.create ? cat.create(n, {}) : cat.get(n).create({}));
console.log(JSON.stringify(featureConfigFor(ads)));
