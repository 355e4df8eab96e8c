//! SVG bar charts of a `compare` run: one chart per tier, one panel per
//! workload, one bar per library; ringmpsc's bars are highlighted and the
//! limit row (b) of the workload is drawn as a line across the panel.

use std::path::Path;

use plotters::prelude::*;

/// One workload's bars.
#[derive(Clone, Debug)]
pub struct Panel {
    /// The workload id.
    pub workload: String,
    /// `M msg/s` or `ns`.
    pub unit: String,
    /// `(library, median)` in report order.
    pub bars: Vec<(String, f64)>,
    /// The limit row (b) for this workload: `(name, median)`.
    pub limit: Option<(String, f64)>,
}

const OURS: RGBColor = RGBColor(214, 69, 40);
const PEER: RGBColor = RGBColor(120, 144, 168);
const NAIVE: RGBColor = RGBColor(190, 190, 190);
const LIMIT: RGBColor = RGBColor(30, 30, 30);

/// Draws `panels` side by side into an SVG at `path`.
///
/// # Errors
/// When the file cannot be written.
pub fn draw(path: &Path, title: &str, panels: &[Panel]) -> Result<(), String> {
    if panels.is_empty() {
        return Ok(());
    }
    let widest = panels.iter().map(|p| p.bars.len()).max().unwrap_or(1);
    let height = 140 + 26 * widest as u32;
    let width = 420 * panels.len() as u32;
    let root = SVGBackend::new(path, (width, height)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let root = root
        .titled(title, ("sans-serif", 20))
        .map_err(|e| e.to_string())?;
    for (area, panel) in root.split_evenly((1, panels.len())).iter().zip(panels) {
        draw_panel(area, panel).map_err(|e| format!("{}: {e}", panel.workload))?;
    }
    root.present().map_err(|e| e.to_string())
}

fn draw_panel(
    area: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    panel: &Panel,
) -> Result<(), Box<dyn std::error::Error>> {
    let n = panel.bars.len();
    let top = panel
        .bars
        .iter()
        .map(|(_, v)| *v)
        .chain(panel.limit.iter().map(|(_, v)| *v))
        .fold(0.0_f64, f64::max)
        * 1.15;
    let names: Vec<String> = panel.bars.iter().map(|(l, _)| l.clone()).collect();
    let mut chart = ChartBuilder::on(area)
        .caption(format!("{} ({})", panel.workload, panel.unit), ("sans-serif", 15))
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(150)
        .build_cartesian_2d(0.0..top.max(1e-9), (0..n).into_segmented())?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => names.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_labels(5)
        .draw()?;
    chart.draw_series(panel.bars.iter().enumerate().map(|(i, (library, value))| {
        let color = if library.starts_with("ringmpsc") {
            OURS
        } else if library.starts_with("naive") {
            NAIVE
        } else {
            PEER
        };
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (*value, SegmentValue::Exact(i + 1)),
            ],
            color.filled(),
        );
        bar.set_margin(3, 3, 0, 0);
        bar
    }))?;
    if let Some((name, limit)) = &panel.limit {
        chart
            .draw_series(LineSeries::new(
                [(*limit, SegmentValue::Exact(0)), (*limit, SegmentValue::Exact(n))],
                LIMIT.stroke_width(2),
            ))?
            .label(format!("limit (b): {name}"))
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], LIMIT.stroke_width(2)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_panel_per_workload_with_the_limit() {
        let dir = std::env::temp_dir().join(format!("ringmpsc-charts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("spsc.svg");
        let panel = |w: &str| Panel {
            workload: w.to_owned(),
            unit: "M msg/s".to_owned(),
            bars: vec![("ringmpsc".to_owned(), 200.0), ("rtrb".to_owned(), 150.0)],
            limit: Some(("ideal-spsc-chunk1".to_owned(), 400.0)),
        };
        draw(&path, "SPSC", &[panel("spsc_single"), panel("spsc_batch64")]).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        for text in ["spsc_single", "spsc_batch64", "ringmpsc", "rtrb", "limit (b)"] {
            assert!(svg.contains(text), "{text} missing");
        }
        // ringmpsc's bars are highlighted.
        assert!(svg.contains("#D64528"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
