// The camera half of a scanner, shared by the door (scanner.js) and the stands
// (stand-scanner.js): the rear camera, continuous QR decoding with zxing-wasm
// served from our own origin (so it works offline), and the torch where the
// camera has one. The pages keep their own screens; this knows no DOM but the
// <video> it is given.

const MAX_WIDTH = 640; // decode at most this many pixels across: fast, and enough for a QR
const FRAME_EVERY_MS = 40;
// One object, so that zxing sees the same overrides on every call and keeps its module.
const OVERRIDES = {
  locateFile: (path, prefix) => (path.endsWith(".wasm") ? "/static/build/zxing/zxing_reader.wasm" : prefix + path),
};

let zxing = null;

// The decoder's readBarcodes. `eager` also fetches and compiles the WebAssembly
// now, so that a page which then loses the network can still decode.
export async function loadDecoder({ eager = false } = {}) {
  if (!zxing) {
    zxing = await import("/static/build/zxing/reader/index.js");
    zxing.prepareZXingModule({ overrides: OVERRIDES });
  }
  if (eager) await zxing.prepareZXingModule({ overrides: OVERRIDES, fireImmediately: true });
  return zxing.readBarcodes;
}

// "denied", "no_camera" or "camera_error": which help to show for a getUserMedia error.
export function cameraProblem(error) {
  if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) return "denied";
  if (error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) return "no_camera";
  return "camera_error";
}

export class QrCamera {
  // onCode(text) is awaited for each decoded QR; no frame is decoded meanwhile.
  constructor(video, onCode) {
    this.video = video;
    this.onCode = onCode;
    this.stream = null;
    this.running = false;
    this.paused = false;
    this.torch = false;
  }

  // Start the rear camera and decoding; throws the getUserMedia error.
  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => {});
    this.running = true;
    this.loop(await loadDecoder());
  }

  stop() {
    this.running = false;
    if (this.stream) this.stream.getTracks().forEach((track) => track.stop());
    this.stream = null;
  }

  // Paused: the camera stays on (no new permission prompt) but nothing is decoded.
  pause() {
    this.paused = true;
  }

  resume() {
    this.paused = false;
  }

  get hasTorch() {
    const track = this.stream ? this.stream.getVideoTracks()[0] : null;
    const capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
    return Boolean(capabilities.torch);
  }

  // Switch the torch; returns whether it is on now.
  async toggleTorch() {
    const track = this.stream ? this.stream.getVideoTracks()[0] : null;
    this.torch = !this.torch;
    try {
      await track.applyConstraints({ advanced: [{ torch: this.torch }] });
    } catch {
      this.torch = false;
    }
    return this.torch;
  }

  loop(read) {
    const video = this.video;
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const options = { formats: ["QRCode"], maxNumberOfSymbols: 1, tryHarder: true };
    const tick = async () => {
      if (!this.running) return;
      if (!this.paused && video.readyState >= 2 && video.videoWidth) {
        const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        try {
          const results = await read(context.getImageData(0, 0, canvas.width, canvas.height), options);
          const hit = results.find((r) => r.isValid && r.text);
          if (hit) await this.onCode(hit.text);
        } catch {
          /* a frame that fails to decode is simply skipped */
        }
      }
      setTimeout(tick, FRAME_EVERY_MS);
    };
    tick();
  }
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}
