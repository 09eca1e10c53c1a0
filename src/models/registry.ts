/**
 * The model families, as a typed record (house style §3.3: no name-string reflection). Each family has a
 * generator and a discriminator builder and the names of their conditioning inputs.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig, ModelFamily } from '../config/types.js';
import { GawwnError } from '../util/errors.js';
import { buildBboxDiscriminator, buildBboxGenerator } from './bbox.js';
import { buildKeypointDiscriminator, buildKeypointGenerator } from './keypoint.js';
import { buildKeypointCompleter, buildKeypointCritic } from './keypoint-gen.js';

export interface FamilyBuilders {
  /** G(z, t, cond). */
  buildG: (cfg: Readonly<ModelConfig>, seed?: number) => tf.LayersModel;
  /** D(x, cond, t) for image families, D(k, t) for keypoint-gen. */
  buildD: (cfg: Readonly<ModelConfig>, seed?: number) => tf.LayersModel;
}

export const MODEL_FAMILIES: Readonly<Record<ModelFamily, FamilyBuilders>> = Object.freeze({
  bbox: { buildG: buildBboxGenerator, buildD: buildBboxDiscriminator },
  keypoint: { buildG: buildKeypointGenerator, buildD: buildKeypointDiscriminator },
  'keypoint-gen': { buildG: buildKeypointCompleter, buildD: buildKeypointCritic },
});

/** The builders of a family; exhaustive over ModelFamily, GawwnError for anything else. */
export function familyBuilders(family: ModelFamily): FamilyBuilders {
  switch (family) {
    case 'bbox':
    case 'keypoint':
    case 'keypoint-gen':
      return MODEL_FAMILIES[family];
    default: {
      const never: never = family;
      throw new GawwnError(`unknown model family '${String(never)}'; valid: ${Object.keys(MODEL_FAMILIES).join(', ')}`);
    }
  }
}
