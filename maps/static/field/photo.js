// A photo from the camera, made ready to queue: its EXIF place and time read from the original, then the
// picture redrawn at most 1600 px on its long side as a JPEG (a phone's 12-megapixel photo is 4-8 MB).
import { readExif } from "./exif.js";

const LONG_SIDE = 1600;

export async function preparePhoto(file) {
  const place = readExif(await file.arrayBuffer());
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, LONG_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
  return { blob, place, width: canvas.width, height: canvas.height };
}
