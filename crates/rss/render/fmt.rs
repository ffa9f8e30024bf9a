//! Number, time, rate and address formatting exactly as `ss` prints them.
//!
//! `ss` formats with C's `printf`; the pieces here reproduce the conversions
//! it uses (`%g`, `%.3g`, `%.1f`, `%#x`, `%-6d`) and its helpers
//! (`print_ms_timer`, `sprint_bw`, glibc's `inet_ntop`). Everything is pure:
//! no I/O, no locale, no libc.

use std::io::Write;
use std::net::Ipv4Addr;

/// Appends `v` in decimal (`%u`), without `core::fmt`: the table prints
/// several numbers per socket.
pub fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `v` in decimal (`%d`).
pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs());
}

/// Appends `v` in lower-case hex without prefix (`%x`, `%llx`).
pub fn push_hex(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends `v` as C's `%-{width}d`: left-aligned, blank-padded.
pub fn push_i64_left(out: &mut Vec<u8>, v: i64, width: usize) {
    let start = out.len();
    push_i64(out, v);
    let n = out.len() - start;
    if n < width {
        out.resize(start + width, b' ');
    }
}

/// Appends a dotted-quad IPv4 address (`inet_ntop(AF_INET)`).
pub fn push_ipv4(out: &mut Vec<u8>, a: &Ipv4Addr) {
    for (i, o) in a.octets().iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        push_u64(out, u64::from(*o));
    }
}

/// Appends `v` as C's `%.{prec}g` would print it.
///
/// Digits come from Rust's exact float formatting, which rounds the exact
/// binary value half-to-even like glibc; `%g`'s choice between fixed and
/// exponent notation and its trailing-zero removal are done here.
pub fn push_g(out: &mut Vec<u8>, v: f64, prec: usize) {
    if v.is_nan() {
        out.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    if v == 0.0 {
        out.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
        return;
    }
    let p = prec.max(1);
    if p <= 15 && v.is_normal() && push_g_shortest(out, v, p) {
        return;
    }
    push_g_exact(out, v, p);
}

/// C's `%g` of `n / 1000.0` (ss prints microseconds as milliseconds so).
/// Below a million the value has at most six significant digits, three
/// after the point, so `%g` prints it exactly: the integer part, then the
/// thousandths without their trailing zeros. Larger values take
/// [`push_g`].
pub fn push_g_milli(out: &mut Vec<u8>, n: u32) {
    if n >= 1_000_000 {
        push_g(out, f64::from(n) / 1000.0, 6);
        return;
    }
    push_u64(out, u64::from(n / 1000));
    let mut frac = n % 1000;
    if frac == 0 {
        return;
    }
    let mut digits = 3;
    while frac.is_multiple_of(10) {
        frac /= 10;
        digits -= 1;
    }
    out.push(b'.');
    let text = [
        b'0' + (frac / 100 % 10) as u8,
        b'0' + (frac / 10 % 10) as u8,
        b'0' + (frac % 10) as u8,
    ];
    out.extend_from_slice(&text[3 - digits..]);
}

/// The general `%.{p}g` path: correctly rounded through `{:.*e}`.
fn push_g_exact(out: &mut Vec<u8>, v: f64, p: usize) {
    // The exponent %e would print once rounded to `p` significant digits.
    let sci = format!("{:.*e}", p - 1, v);
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        out.extend_from_slice(strip_zeros(mant).as_bytes());
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else {
        let fixed = format!("{:.*}", (p as i32 - 1 - exp) as usize, v);
        out.extend_from_slice(strip_zeros(&fixed).as_bytes());
    }
}

/// `%.{p}g` from Rust's shortest round-trip digits, when they number at
/// most `p`: then rounding the exact value to `p` digits gives the same
/// digits (a normal double lies within 2^-53 relative of them, far below
/// half a unit of the 15th digit), so no correctly rounded formatting is
/// needed. Returns false, writing nothing, otherwise. No allocation: this is
/// `-i`'s hot path (rates, RTTs).
fn push_g_shortest(out: &mut Vec<u8>, v: f64, p: usize) -> bool {
    let mut buf = [0u8; 40];
    let n = {
        let mut cur = std::io::Cursor::new(&mut buf[..]);
        if write!(cur, "{v:e}").is_err() {
            return false;
        }
        cur.position() as usize
    };
    let s = &buf[..n];
    let (neg, s) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    let Some(epos) = s.iter().position(|&c| c == b'e') else {
        return false;
    };
    let (mant, exp) = (&s[..epos], &s[epos + 1..]);
    let Some(exp) = std::str::from_utf8(exp)
        .ok()
        .and_then(|e| e.parse::<i32>().ok())
    else {
        return false;
    };
    let mut digits = [0u8; 20];
    let mut nd = 0;
    for &c in mant {
        if c != b'.' {
            if nd == digits.len() {
                return false;
            }
            digits[nd] = c;
            nd += 1;
        }
    }
    if nd == 0 || nd > p {
        return false;
    }
    let d = &digits[..nd];
    if neg {
        out.push(b'-');
    }
    if exp < -4 || exp >= p as i32 {
        out.push(d[0]);
        if nd > 1 {
            out.push(b'.');
            out.extend_from_slice(&d[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else if exp >= 0 {
        let int = exp as usize + 1;
        if nd <= int {
            out.extend_from_slice(d);
            out.extend(std::iter::repeat_n(b'0', int - nd));
        } else {
            out.extend_from_slice(&d[..int]);
            out.push(b'.');
            out.extend_from_slice(&d[int..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-exp - 1) as usize));
        out.extend_from_slice(d);
    }
    true
}

/// `v` as C's `%.{prec}g`.
pub fn fmt_g(v: f64, prec: usize) -> String {
    let mut b = Vec::new();
    push_g(&mut b, v, prec);
    String::from_utf8(b).unwrap_or_default()
}

/// `%g` (precision 6).
pub fn g(v: f64) -> String {
    fmt_g(v, 6)
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// `ss`'s `print_ms_timer`: a timer's expiry in milliseconds as `1min5sec`,
/// `12min`, `9.373sec`, `57sec` or `200ms` (v6.11+ spelling).
///
/// Minutes drop the milliseconds, more than nine minutes drop the seconds,
/// and more than nine seconds drop the milliseconds. Zero prints nothing.
pub fn ms_timer(timeout: u32) -> String {
    let mut secs = timeout / 1000;
    let minutes = secs / 60;
    secs %= 60;
    let mut msecs = timeout % 1000;
    let mut s = String::new();
    if minutes != 0 {
        msecs = 0;
        s.push_str(&format!("{minutes}min"));
        if minutes > 9 {
            secs = 0;
        }
    }
    if secs != 0 {
        if secs > 9 {
            msecs = 0;
        }
        s.push_str(&format!("{secs}{}", if msecs != 0 { "." } else { "sec" }));
    }
    if msecs != 0 {
        s.push_str(&format!(
            "{msecs:03}{}",
            if secs != 0 { "sec" } else { "ms" }
        ));
    }
    s
}

/// `ss`'s `sprint_bw`: a rate in bits per second with a decimal k/M/G/T
/// suffix at three significant digits, or the raw integer with `-n`.
/// The caller appends `bps`.
pub fn bw(bits_per_sec: f64, numeric: bool) -> String {
    let mut b = Vec::new();
    push_bw(&mut b, bits_per_sec, numeric);
    String::from_utf8(b).unwrap_or_default()
}

/// [`bw`] appended to `out`, without allocating (the `-i` hot path).
pub fn push_bw(out: &mut Vec<u8>, bits_per_sec: f64, numeric: bool) {
    if numeric {
        // C's %.0f: the exact binary value rounded half to even. Integers
        // from 2^53 up are exact already; below, round_ties_even is exact.
        if (0.0..1.8e19).contains(&bits_per_sec) {
            push_u64(out, bits_per_sec.round_ties_even() as u64);
        } else {
            let _ = write!(out, "{bits_per_sec:.0}");
        }
        return;
    }
    let (v, unit) = if bits_per_sec >= 1e12 {
        (bits_per_sec / 1e12, Some(b'T'))
    } else if bits_per_sec >= 1e9 {
        (bits_per_sec / 1e9, Some(b'G'))
    } else if bits_per_sec >= 1e6 {
        (bits_per_sec / 1e6, Some(b'M'))
    } else if bits_per_sec >= 1e3 {
        (bits_per_sec / 1e3, Some(b'k'))
    } else {
        (bits_per_sec, None)
    };
    match unit {
        Some(u) => {
            push_g(out, v, 3);
            out.push(u);
        }
        None => push_g(out, v, 6),
    }
}

/// C's `%#x`: `0` for zero, `0x…` otherwise.
pub fn alt_hex(v: u32) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// glibc's `major()` of a `dev_t` (applied by `ss` to the kernel's raw
/// `s_dev`, as `ss` does).
pub fn dev_major(dev: u64) -> u32 {
    (((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff)) as u32
}

/// glibc's `minor()` of a `dev_t`.
pub fn dev_minor(dev: u64) -> u32 {
    ((dev & 0xff) | ((dev >> 12) & !0xff)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_rates_round_like_printf() {
        for v in [
            0.0,
            0.5,
            1.5,
            2.5,
            1234.49,
            1234.5,
            1235.5,
            9.007199254740993e15,
            1.8e18,
            123456789.75,
        ] {
            let mut fast = Vec::new();
            push_bw(&mut fast, v, true);
            assert_eq!(String::from_utf8(fast).unwrap(), format!("{v:.0}"), "{v}");
        }
    }

    #[test]
    fn shortest_digits_path_agrees_with_the_exact_path() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut taken = 0;
        for i in 0..200_000u32 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            // Values like rates and times: few digits, all magnitudes.
            let v = match i % 3 {
                0 => f64::from_bits(seed),
                1 => (seed % 100_000) as f64 / 1000.0,
                _ => (seed % 1_000_000_007) as f64 * 8.0,
            };
            if !v.is_normal() {
                continue;
            }
            for p in [1, 3, 6, 15] {
                let mut fast = Vec::new();
                if push_g_shortest(&mut fast, v, p) {
                    taken += 1;
                    let mut exact = Vec::new();
                    push_g_exact(&mut exact, v, p);
                    assert_eq!(fast, exact, "{v:e} at %.{p}g");
                }
            }
        }
        assert!(
            taken > 100_000,
            "the fast path was taken only {taken} times"
        );
    }

    /// Milliseconds from microseconds: the integer path prints what
    /// `%g` of `n / 1000.0` prints, below a million and above.
    #[test]
    fn milli_path_agrees_with_g() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let samples = (0..=120_000u32)
            .chain([999_999, 1_000_000, 1_000_001, 1_234_567, u32::MAX])
            .chain((0..100_000).map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                (seed % 2_000_000) as u32
            }));
        for n in samples {
            let (mut fast, mut g) = (Vec::new(), Vec::new());
            push_g_milli(&mut fast, n);
            push_g(&mut g, f64::from(n) / 1000.0, 6);
            assert_eq!(fast, g, "{n} us");
        }
        let text = |n| {
            let mut b = Vec::new();
            push_g_milli(&mut b, n);
            String::from_utf8(b).unwrap()
        };
        assert_eq!(text(0), "0");
        assert_eq!(text(5), "0.005");
        assert_eq!(text(50), "0.05");
        assert_eq!(text(1_050), "1.05");
        assert_eq!(text(204_000), "204");
        assert_eq!(text(999_999), "999.999");
        assert_eq!(text(1_234_567), "1234.57");
    }

    /// Expected values printed by glibc's printf (gcc 12, this machine):
    /// `printf("%g|%.3g|%.1f\n", v, v, v)` for each input.
    #[test]
    fn g_matches_glibc() {
        let cases: &[(f64, &str, &str, &str)] = &[
            (0.0, "0", "0", "0.0"),
            (0.5, "0.5", "0.5", "0.5"),
            (1.0, "1", "1", "1.0"),
            (0.1, "0.1", "0.1", "0.1"),
            (0.25, "0.25", "0.25", "0.2"),
            (0.35, "0.35", "0.35", "0.3"),
            (0.125, "0.125", "0.125", "0.1"),
            (12.5, "12.5", "12.5", "12.5"),
            (99.95, "99.95", "100", "100.0"),
            (99.96, "99.96", "100", "100.0"),
            (100.0, "100", "100", "100.0"),
            (123456.0, "123456", "1.23e+05", "123456.0"),
            (1234567.0, "1.23457e+06", "1.23e+06", "1234567.0"),
            (999999.5, "1e+06", "1e+06", "999999.5"),
            (0.0001, "0.0001", "0.0001", "0.0"),
            (0.00001234, "1.234e-05", "1.23e-05", "0.0"),
            (0.000123456789, "0.000123457", "0.000123", "0.0"),
            (3.0005, "3.0005", "3", "3.0"),
            (2.675, "2.675", "2.67", "2.7"),
            (1.5, "1.5", "1.5", "1.5"),
            (2.5, "2.5", "2.5", "2.5"),
            (0.05, "0.05", "0.05", "0.1"),
            (0.15, "0.15", "0.15", "0.1"),
            (33.333333333, "33.3333", "33.3", "33.3"),
            (66.666666666, "66.6667", "66.7", "66.7"),
            (1e21, "1e+21", "1e+21", "1000000000000000000000.0"),
            (
                1e100,
                "1e+100",
                "1e+100",
                "10000000000000000159028911097599180468360808563945281389781327557747838772170381060813469985856815104.0",
            ),
            (4.294967295e9, "4.29497e+09", "4.29e+09", "4294967295.0"),
            (214.748, "214.748", "215", "214.7"),
            (0.2045, "0.2045", "0.204", "0.2"),
            (1.0005, "1.0005", "1", "1.0"),
            (9.995, "9.995", "9.99", "10.0"),
            (999.5, "999.5", "1e+03", "999.5"),
            (-2.5, "-2.5", "-2.5", "-2.5"),
        ];
        for &(v, g6, g3, f1) in cases {
            assert_eq!(g(v), g6, "%g of {v}");
            assert_eq!(fmt_g(v, 3), g3, "%.3g of {v}");
            assert_eq!(format!("{v:.1}"), f1, "%.1f of {v}");
        }
        assert_eq!(g(f64::INFINITY), "inf");
        assert_eq!(g(f64::NEG_INFINITY), "-inf");
        // printf("%.17g", 0.1): past 15 digits the exact binary value shows.
        assert_eq!(fmt_g(0.1, 17), "0.10000000000000001");
        assert_eq!(g(f64::NAN), "nan");
        assert_eq!(fmt_g(0.5, 0), "0.5");
    }

    #[test]
    fn timers_like_print_ms_timer() {
        // Each case follows print_ms_timer's branches (ss v6.11+).
        let cases = [
            (0, ""),
            (1, "001ms"),
            (200, "200ms"),
            (999, "999ms"),
            (1000, "1sec"),
            (1001, "1.001sec"),
            (9373, "9.373sec"),
            (9999, "9.999sec"),
            (10_000, "10sec"),
            (10_999, "10sec"),
            (57_000, "57sec"),
            (59_999, "59sec"),
            (60_000, "1min"),
            (60_500, "1min"),
            (65_000, "1min5sec"),
            (65_123, "1min5sec"),
            (599_999, "9min59sec"),
            (600_000, "10min"),
            (720_000, "12min"),
            (725_000, "12min"),
            (u32::MAX, "71582min"),
        ];
        for (ms, want) in cases {
            assert_eq!(ms_timer(ms), want, "{ms} ms");
        }
    }

    #[test]
    fn rates_like_sprint_bw() {
        assert_eq!(bw(0.0, false), "0");
        assert_eq!(bw(999.0, false), "999");
        assert_eq!(bw(1000.0, false), "1k");
        assert_eq!(bw(1234.0, false), "1.23k");
        assert_eq!(bw(999_999.0, false), "1e+03k");
        assert_eq!(bw(1_000_000.0, false), "1M");
        assert_eq!(bw(53_200_000.0, false), "53.2M");
        assert_eq!(bw(4_294_967_295.0 * 8.0, false), "34.4G");
        assert_eq!(bw(1.5e12, false), "1.5T");
        assert_eq!(bw(2.5e15, false), "2.5e+03T");
        assert_eq!(bw(12.5, false), "12.5");
        assert_eq!(bw(53_200_000.0, true), "53200000");
        assert_eq!(bw(2.5, true), "2");
        assert_eq!(bw(3.5, true), "4");
    }

    #[test]
    fn integers_like_printf() {
        let f = |g: fn(&mut Vec<u8>)| {
            let mut b = Vec::new();
            g(&mut b);
            String::from_utf8(b).unwrap()
        };
        assert_eq!(f(|b| push_u64(b, 0)), "0");
        assert_eq!(f(|b| push_u64(b, u64::MAX)), "18446744073709551615");
        assert_eq!(f(|b| push_i64(b, i64::MIN)), "-9223372036854775808");
        assert_eq!(f(|b| push_hex(b, 0)), "0");
        assert_eq!(
            f(|b| push_hex(b, 0xffff_8f00_1234_5678)),
            "ffff8f0012345678"
        );
        // printf("%-6d|", v)
        assert_eq!(f(|b| push_i64_left(b, 0, 6)), "0     ");
        assert_eq!(f(|b| push_i64_left(b, 4096, 6)), "4096  ");
        assert_eq!(f(|b| push_i64_left(b, -1, 6)), "-1    ");
        assert_eq!(f(|b| push_i64_left(b, 12_345_678, 6)), "12345678");
        // The width counts from where the number starts, not from the
        // buffer's start.
        assert_eq!(
            f(|b| {
                b.extend_from_slice(b"0123456789");
                push_i64_left(b, 5, 6)
            }),
            "01234567895     "
        );
        assert_eq!(
            f(|b| push_ipv4(b, &Ipv4Addr::new(127, 0, 0, 53))),
            "127.0.0.53"
        );
        assert_eq!(f(|b| push_ipv4(b, &Ipv4Addr::UNSPECIFIED)), "0.0.0.0");
    }

    #[test]
    fn hex_escape_and_dev() {
        assert_eq!(alt_hex(0), "0");
        assert_eq!(alt_hex(0x10), "0x10");
        // kernel dev_t 8:1 (8 << 20 | 1) as glibc's major/minor see it
        assert_eq!((dev_major(0x80_0001), dev_minor(0x80_0001)), (0, 2049));
        assert_eq!((dev_major(0x801), dev_minor(0x801)), (8, 1));
        assert_eq!((dev_major(25), dev_minor(25)), (0, 25));
        // 64-bit dev_t values, as glibc's major()/minor() split them
        // (printed by a C program on this machine).
        assert_eq!(
            (
                dev_major(0x1234_5678_9abc_def0),
                dev_minor(0x1234_5678_9abc_def0)
            ),
            (305_421_534, 1_737_075_696)
        );
        assert_eq!(
            (
                dev_major(0xfedc_ba98_7654_3210),
                dev_minor(0xfedc_ba98_7654_3210)
            ),
            (4_275_876_914, 2_844_222_736)
        );
    }
}
