import type { SceneSpec, Sprite } from './scene';

const person = (crop: [number, number, number, number]): Sprite => ({ file: 'people.jpg', crop, label: 'person' });
const car = (crop: [number, number, number, number], mirror = false): Sprite => ({
  file: 'cars.jpg',
  crop,
  label: 'car',
  mirror,
});

/**
 * The bench:track street scene, 10 s at 30 fps, 960x540:
 * - two people walking towards each other on the same path, one crossing behind the other (ids must
 *   survive the crossing, the one behind is hidden for about a second);
 * - a person walking fast along the top behind a pillar (a short occlusion), entering on the right
 *   and leaving on the left;
 * - two cars driving in opposite directions on the road, crossing, each entering and leaving the
 *   frame.
 */
export const STREET: SceneSpec = {
  name: 'street',
  width: 960,
  height: 560,
  fps: 30,
  frames: 300,
  objects: [
    {
      id: 1,
      sprite: person([240, 20, 345, 200]),
      height: 180,
      path: [
        { frame: 0, x: 40, y: 180 },
        { frame: 299, x: 760, y: 180 },
      ],
    },
    {
      id: 2,
      sprite: person([590, 90, 720, 300]),
      height: 180,
      path: [
        { frame: 0, x: 790, y: 190 },
        { frame: 299, x: 60, y: 190 },
      ],
    },
    {
      id: 3,
      sprite: person([488, 140, 598, 300]),
      height: 170,
      path: [
        { frame: 0, x: 960, y: 5 },
        { frame: 250, x: -140, y: 5 },
      ],
    },
    {
      id: 4,
      sprite: car([140, 545, 233, 622]),
      height: 170,
      path: [
        { frame: 30, x: -210, y: 380 },
        { frame: 200, x: 960, y: 380 },
      ],
    },
    {
      id: 5,
      sprite: car([140, 545, 233, 622], true),
      height: 170,
      path: [
        { frame: 110, x: 960, y: 388 },
        { frame: 290, x: -210, y: 388 },
      ],
    },
  ],
  occluders: [{ box: [470, 0, 530, 178], rgb: [90, 90, 96] }],
};
