//! Thumbnails of uploaded pictures: decode under limits, turn upright, scale down, encode.
//!
//! Pure and blocking (no I/O but the bytes given): the caller runs it on a blocking thread,
//! a few at a time. Every decode is bounded before any pixel is allocated — the declared
//! width and height ([`MAX_SIDE`]) and the decoded buffer ([`MAX_ALLOC`]) — so a tiny file
//! that claims to be 100 000 pixels wide (a decompression bomb) is refused from its header,
//! and damaged data is an error, never a panic.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

/// The box a thumbnail fits in, keeping its aspect ratio.
pub const BOX_SIDE: u32 = 320;
/// The largest width or height decoded.
pub const MAX_SIDE: u32 = 12_000;
/// The most memory one decode may ask for (the decoded pixels count towards it).
pub const MAX_ALLOC: u64 = 128 << 20;
/// JPEG quality of opaque thumbnails.
const JPEG_QUALITY: u8 = 80;

/// A thumbnail, encoded.
#[derive(Debug)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    /// `image/jpeg` (opaque pictures) or `image/png` (pictures with transparency).
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Why a file has no thumbnail: not a picture kind that has one, over the limits, or not
/// decodable. The reason is for the log; people are told only that there is none.
#[derive(Debug)]
pub struct Unavailable(pub String);

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<image::ImageError> for Unavailable {
    fn from(e: image::ImageError) -> Self {
        Self(e.to_string())
    }
}

/// The picture format of a detected content type that has thumbnails.
pub fn format_of(content_type: &str) -> Option<ImageFormat> {
    match content_type {
        "image/jpeg" => Some(ImageFormat::Jpeg),
        "image/png" => Some(ImageFormat::Png),
        "image/gif" => Some(ImageFormat::Gif),
        "image/webp" => Some(ImageFormat::WebP),
        _ => None,
    }
}

/// The content type of an encoded thumbnail, from its first bytes.
pub fn content_type_of(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else {
        None
    }
}

/// Renders the thumbnail of a JPEG, PNG, GIF (its first frame) or WebP picture: upright
/// (EXIF orientation applied), scaled down to fit [`BOX_SIDE`]² and never up, as PNG when
/// it has transparency and as JPEG otherwise.
pub fn render(bytes: &[u8], content_type: &str) -> Result<Thumbnail, Unavailable> {
    let format = format_of(content_type)
        .ok_or_else(|| Unavailable(format!("no thumbnails for {content_type}")))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(limits.clone());
    // Checks the declared dimensions against the limits, from the header alone.
    let mut decoder = reader.into_decoder()?;
    // The decoded pixels are the largest allocation: refuse them before they are made (what
    // `ImageReader::decode` does, which cannot read the orientation).
    limits.reserve(decoder.total_bytes())?;
    decoder.set_limits(limits)?;
    let orientation = decoder.orientation()?;
    let full = DynamicImage::from_decoder(decoder)?;

    let (width, height) = (full.width(), full.height());
    let mut small = if width <= BOX_SIDE && height <= BOX_SIDE {
        full
    } else if width >= 2 * BOX_SIDE || height >= 2 * BOX_SIDE {
        // Averages whole blocks of pixels: fast, and as good as a filter this far down.
        full.thumbnail(BOX_SIDE, BOX_SIDE)
    } else {
        // Close to the box, block averaging would alias; a triangle filter does not.
        full.resize(BOX_SIDE, BOX_SIDE, FilterType::Triangle)
    };
    // Turning the small picture is cheaper than the large one, and the box is square.
    small.apply_orientation(orientation);

    let mut out = Vec::new();
    let content_type = if transparent(&small) {
        small
            .to_rgba8()
            .write_with_encoder(PngEncoder::new(&mut out))?;
        "image/png"
    } else {
        small
            .to_rgb8()
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))?;
        "image/jpeg"
    };
    Ok(Thumbnail {
        bytes: out,
        content_type,
        width: small.width(),
        height: small.height(),
    })
}

/// Whether a picture has an alpha channel that some pixel uses (GIF and WebP decode with
/// one whether or not they need it; an opaque picture is smaller as JPEG).
fn transparent(image: &DynamicImage) -> bool {
    image.has_alpha() && image.to_rgba8().pixels().any(|p| p.0[3] < u8::MAX)
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use image::{GenericImageView, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

    use super::*;

    /// A picture with some structure (gradients), so encoders have something to do.
    fn photo(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        })
    }

    fn png(image: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
        out
    }

    fn jpeg(image: &RgbImage) -> Vec<u8> {
        let mut out = Vec::new();
        image
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
            .unwrap();
        out
    }

    fn decoded(t: &Thumbnail) -> DynamicImage {
        let format = format_of(t.content_type).unwrap();
        let image = image::load_from_memory_with_format(&t.bytes, format).unwrap();
        assert_eq!((image.width(), image.height()), (t.width, t.height));
        image
    }

    #[test]
    fn large_pictures_fit_the_box_keeping_their_shape() {
        let wide = png(&DynamicImage::ImageRgb8(photo(2000, 1000)));
        let t = render(&wide, "image/png").unwrap();
        assert_eq!((t.width, t.height), (320, 160));
        assert_eq!(t.content_type, "image/jpeg", "an opaque PNG becomes a JPEG");
        assert_eq!(content_type_of(&t.bytes), Some("image/jpeg"));
        decoded(&t);

        let tall = jpeg(&photo(600, 1200));
        let t = render(&tall, "image/jpeg").unwrap();
        assert_eq!((t.width, t.height), (160, 320));
        assert_eq!(t.content_type, "image/jpeg");

        // Close to the box: filtered, not block-averaged.
        let near = jpeg(&photo(400, 300));
        let t = render(&near, "image/jpeg").unwrap();
        assert_eq!((t.width, t.height), (320, 240));
    }

    #[test]
    fn small_pictures_are_not_enlarged() {
        let t = render(&jpeg(&photo(100, 40)), "image/jpeg").unwrap();
        assert_eq!((t.width, t.height), (100, 40));
        let t = render(&png(&DynamicImage::ImageRgb8(photo(320, 320))), "image/png").unwrap();
        assert_eq!((t.width, t.height), (320, 320));
    }

    #[test]
    fn transparency_stays_png() {
        let image = RgbaImage::from_fn(800, 400, |x, _| Rgba([200, 10, 10, (x % 256) as u8]));
        let t = render(&png(&DynamicImage::ImageRgba8(image)), "image/png").unwrap();
        assert_eq!(t.content_type, "image/png");
        assert_eq!(content_type_of(&t.bytes), Some("image/png"));
        assert_eq!((t.width, t.height), (320, 160));
        let back = decoded(&t);
        assert!(back.has_alpha());
        assert!(back.to_rgba8().pixels().any(|p| p.0[3] < 128));
    }

    #[test]
    fn gif_and_webp() {
        // A GIF decodes with an alpha channel; opaque, it still becomes a JPEG.
        let mut gif = Vec::new();
        {
            let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
            let frame = RgbaImage::from_pixel(640, 480, Rgba([0, 120, 240, 255]));
            encoder
                .encode_frame(image::Frame::new(frame.clone()))
                .unwrap();
            encoder
                .encode_frame(image::Frame::new(RgbaImage::from_pixel(
                    640,
                    480,
                    Rgba([255, 0, 0, 255]),
                )))
                .unwrap();
        }
        let t = render(&gif, "image/gif").unwrap();
        assert_eq!((t.width, t.height), (320, 240));
        assert_eq!(t.content_type, "image/jpeg");
        let first = decoded(&t).to_rgb8();
        let p = first.get_pixel(160, 120).0;
        assert!(p[2] > 200 && p[0] < 40, "the first frame, blue: {p:?}");

        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .write_image(
                photo(1000, 500).as_raw(),
                1000,
                500,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        let t = render(&webp, "image/webp").unwrap();
        assert_eq!((t.width, t.height), (320, 160));
    }

    /// A PNG whose header declares `width`×`height` pixels, with a valid CRC, and one tiny
    /// IDAT chunk: what a decompression bomb looks like before its pixels.
    pub(crate) fn declared_png(width: u32, height: u32) -> Vec<u8> {
        fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
            out.extend_from_slice(&(data.len() as u32).to_be_bytes());
            let start = out.len();
            out.extend_from_slice(kind);
            out.extend_from_slice(data);
            let crc = crc32fast::hash(&out[start..]);
            out.extend_from_slice(&crc.to_be_bytes());
        }
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = Vec::new();
        ihdr.extend_from_slice(&width.to_be_bytes());
        ihdr.extend_from_slice(&height.to_be_bytes());
        ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no interlace
        chunk(&mut out, b"IHDR", &ihdr);
        chunk(&mut out, b"IDAT", b"\x78\x9c\x03\x00\x00\x00\x00\x01");
        chunk(&mut out, b"IEND", b"");
        out
    }

    #[test]
    fn decompression_bombs_are_refused_from_the_header() {
        // Refused for the declared size (so the crafted header was read), before any pixel.
        let started = Instant::now();
        for (w, h) in [(100_000, 100_000), (12_001, 10), (10, 12_001)] {
            let bomb = declared_png(w, h);
            assert!(bomb.len() < 100);
            let refused = render(&bomb, "image/png").unwrap_err();
            assert!(
                refused.0.to_lowercase().contains("limit"),
                "{w}×{h}: {refused}"
            );
        }
        // Within the sides but over the memory bound: 12 000 × 12 000 × 4 bytes.
        let refused = render(&declared_png(12_000, 12_000), "image/png").unwrap_err();
        assert!(refused.0.to_lowercase().contains("memory"), "{refused}");
        assert!(started.elapsed().as_secs() < 2, "{:?}", started.elapsed());
    }

    #[test]
    fn damaged_data_is_refused() {
        let good = jpeg(&photo(800, 600));
        for (bytes, content_type) in [
            (&good[..good.len() / 3], "image/jpeg"),
            (&good[..20], "image/jpeg"),
            (b"not a picture at all".as_slice(), "image/png"),
            (b"".as_slice(), "image/gif"),
            (&declared_png(1, 1)[..30], "image/png"),
            (b"RIFF\x10\0\0\0WEBPVP8 ".as_slice(), "image/webp"),
        ] {
            // Some decoders fill in a truncated picture; none may panic.
            let _ = render(bytes, content_type);
        }
        assert!(render(b"not a picture at all", "image/png").is_err());
        assert!(render(&good[..20], "image/jpeg").is_err());
        assert!(render(&good, "image/svg+xml").is_err());
        assert!(render(&good, "text/plain").is_err());
    }

    /// A JPEG carrying an EXIF APP1 segment with one Orientation entry.
    fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
        tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
        tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
        tiff.extend_from_slice(&1u32.to_be_bytes());
        tiff.extend_from_slice(&orientation.to_be_bytes());
        tiff.extend_from_slice(&[0, 0]);
        tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec(); // SOI
        out.extend_from_slice(&[0xff, 0xe1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    #[test]
    fn exif_orientation_is_applied() {
        // A landscape picture, red on the left, taken with the camera turned: orientation 6
        // means "turn 90° clockwise to show".
        let image = RgbImage::from_fn(800, 400, |x, _| {
            if x < 400 {
                Rgb([250, 0, 0])
            } else {
                Rgb([0, 0, 250])
            }
        });
        let plain = jpeg(&image);
        let t = render(&plain, "image/jpeg").unwrap();
        assert_eq!((t.width, t.height), (320, 160));

        let turned = with_orientation(&plain, 6);
        let t = render(&turned, "image/jpeg").unwrap();
        assert_eq!((t.width, t.height), (160, 320));
        let shown = decoded(&t);
        // Turned clockwise, the left edge (red) is now the top.
        let top = shown.get_pixel(80, 20).0;
        let bottom = shown.get_pixel(80, 300).0;
        assert!(top[0] > 200 && top[2] < 60, "top {top:?}");
        assert!(bottom[2] > 200 && bottom[0] < 60, "bottom {bottom:?}");
    }

    /// How long a 12-megapixel photo takes (run with `--ignored --nocapture`; release
    /// builds are much faster than debug ones).
    #[test]
    #[ignore = "a timing, not a check"]
    fn time_a_12_megapixel_jpeg() {
        let source = jpeg(&photo(4000, 3000));
        let started = Instant::now();
        let t = render(&source, "image/jpeg").unwrap();
        let took = started.elapsed();
        println!(
            "4000×3000 JPEG ({} KiB) → {}×{} {} ({} KiB) in {took:?}",
            source.len() >> 10,
            t.width,
            t.height,
            t.content_type,
            t.bytes.len() >> 10
        );
    }
}
