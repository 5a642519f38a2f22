//! One SVG figure: one or more line charts stacked, and a caption under
//! them naming the machine and the exact command that made the data.

use std::path::Path;

use kakunin_benches::results::{Line, Series};
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;

const WIDTH: u32 = 960;
const PANEL_HEIGHT: u32 = 480;
const CAPTION_LINE: u32 = 16;
/// Characters per caption line before it wraps (12 px sans-serif).
const CAPTION_WRAP: usize = 150;

/// One line chart.
pub(crate) struct Chart {
    /// Drawn above the plot.
    pub title: String,
    /// Axis descriptions.
    pub x_desc: String,
    /// Axis descriptions.
    pub y_desc: String,
    /// Logarithmic axes.
    pub log_x: bool,
    /// Logarithmic axes.
    pub log_y: bool,
    /// How tick labels on the x axis are written.
    pub x_fmt: fn(f64) -> String,
    /// The lines.
    pub series: Vec<Series>,
    /// Vertical marker lines (x, label, colour: the series whose moment it
    /// marks, or grey), e.g. the moment of a swap.
    pub markers: Vec<(f64, String, Option<usize>)>,
}

/// Tick label for counts: 100k, 1M, 30M.
pub(crate) fn si(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

/// A number without trailing zeros (up to 2 decimals).
pub(crate) fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Draws `charts` one above the other into `path`, with `caption` lines
/// under them.
pub(crate) fn figure(path: &Path, charts: &[Chart], caption: &[String]) -> Result<(), String> {
    let lines: Vec<String> = caption.iter().flat_map(|l| wrap(l, CAPTION_WRAP)).collect();
    let caption_h = CAPTION_LINE * lines.len() as u32 + 12;
    let height = PANEL_HEIGHT * charts.len() as u32 + caption_h;
    let root = SVGBackend::new(path, (WIDTH, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (plots, bottom) = root.split_vertically(height - caption_h);
    let panels = plots.split_evenly((charts.len(), 1));
    for (chart, area) in charts.iter().zip(&panels) {
        draw_chart(area, chart)?;
    }
    let grey = BLACK.mix(0.75);
    let style = TextStyle::from(("sans-serif", 12).into_font()).color(&grey);
    for (i, line) in lines.iter().enumerate() {
        bottom
            .draw_text(line, &style, (12, 4 + (i as u32 * CAPTION_LINE) as i32))
            .map_err(err)?;
    }
    root.present().map_err(err)
}

/// Splits `text` at spaces into lines of at most `width` characters
/// (a longer word stays whole); continuation lines are indented.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if line.is_empty() {
            line = word.to_string();
        } else if line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::replace(&mut line, format!("    {word}")));
        } else {
            line.push(' ');
            line.push_str(word);
        }
    }
    out.push(line);
    out
}

/// The data's extent on one axis, padded; logarithmic axes stay positive.
fn extent(values: impl Iterator<Item = f64>, log: bool, from_zero: bool) -> (f64, f64) {
    let vals: Vec<f64> = values
        .filter(|v| v.is_finite() && (!log || *v > 0.0))
        .collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if vals.is_empty() {
        return if log { (1.0, 10.0) } else { (0.0, 1.0) };
    }
    if log {
        (lo / 1.6, hi * 1.6)
    } else if from_zero && lo >= 0.0 {
        (0.0, if hi > 0.0 { hi * 1.12 } else { 1.0 })
    } else {
        let pad = if hi > lo { (hi - lo) * 0.06 } else { 0.5 };
        (lo - pad, hi + pad)
    }
}

fn draw_chart(area: &DrawingArea<SVGBackend<'_>, Shift>, c: &Chart) -> Result<(), String> {
    let xs = c.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
    let xs = xs.chain(c.markers.iter().map(|m| m.0));
    let (x0, x1) = extent(xs, c.log_x, false);
    let ys = c.series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let (y0, y1) = extent(ys, c.log_y, true);
    match (c.log_x, c.log_y) {
        (false, false) => draw_on(area, c, x0..x1, y0..y1),
        (true, false) => draw_on(area, c, (x0..x1).log_scale(), y0..y1),
        (false, true) => draw_on(area, c, x0..x1, (y0..y1).log_scale()),
        (true, true) => draw_on(area, c, (x0..x1).log_scale(), (y0..y1).log_scale()),
    }
}

/// Distinct colours, kakunin's first.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x7f, 0x7f, 0x7f),
];

fn draw_on<X, Y>(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    c: &Chart,
    x: X,
    y: Y,
) -> Result<(), String>
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(&c.title, ("sans-serif", 18))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(72)
        .build_cartesian_2d(x, y)
        .map_err(err)?;
    let x_fmt = c.x_fmt;
    chart
        .configure_mesh()
        .x_desc(&c.x_desc)
        .y_desc(&c.y_desc)
        .x_label_formatter(&|v| x_fmt(*v))
        .y_label_formatter(&|v| si(*v))
        .light_line_style(BLACK.mix(0.05))
        .draw()
        .map_err(err)?;
    let (y_lo, y_hi) = {
        let r = chart.y_range();
        (r.start, r.end)
    };
    for (x, label, colour) in &c.markers {
        let style = match colour {
            Some(i) => PALETTE[i % PALETTE.len()].stroke_width(1),
            None => BLACK.mix(0.5).stroke_width(1),
        };
        chart
            .draw_series(DashedLineSeries::new([(*x, y_lo), (*x, y_hi)], 6, 4, style))
            .map_err(err)?
            .label(label.clone())
            .legend(move |(x, y)| DashedPathElement::new([(x, y), (x + 20, y)], 6, 4, style));
    }
    for (i, s) in c.series.iter().enumerate() {
        let color = PALETTE[s.family.unwrap_or(i) % PALETTE.len()];
        let style = color.stroke_width(2);
        let pts = s.points.iter().copied();
        if s.line != Line::Solid {
            let (dash, gap) = if s.line == Line::Dashed {
                (8, 5)
            } else {
                (2, 4)
            };
            chart
                .draw_series(DashedLineSeries::new(pts, dash, gap, style))
                .map_err(err)?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    DashedPathElement::new([(x, y), (x + 20, y)], dash, gap, style)
                });
        } else {
            chart
                .draw_series(LineSeries::new(pts.clone(), style))
                .map_err(err)?
                .label(s.label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
            chart
                .draw_series(pts.map(|p| Circle::new(p, 3, color.filled())))
                .map_err(err)?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(si(100_000.0), "100k");
        assert_eq!(si(30_000_000.0), "30M");
        assert_eq!(si(2_500_000.0), "2.5M");
        assert_eq!(si(0.25), "0.25");
        assert_eq!(trim(2.0), "2");
    }

    #[test]
    fn long_captions_wrap_at_spaces() {
        assert_eq!(wrap("aaa bbb ccc ddd", 12), ["aaa bbb ccc", "    ddd"]);
        assert_eq!(
            wrap("aaa bbb ccc ddd", 8),
            ["aaa bbb", "    ccc", "    ddd"]
        );
        assert_eq!(wrap("short", 80), ["short"]);
    }

    #[test]
    fn log_axes_skip_zero_and_pad() {
        let (lo, hi) = extent([0.0, 10.0, 1000.0].into_iter(), true, false);
        assert!(lo > 0.0 && lo < 10.0 && hi > 1000.0);
        assert_eq!(extent([5.0, 9.0].into_iter(), false, true).0, 0.0);
    }
}
