//! `vaebio plot`: a 2-D scatter of the latent space, coloured by label.

use anyhow::{Context, Result, anyhow};
use plotters::prelude::*;
use vaebio_analysis::pca_scores;
use vaebio_model::DenseView;

use crate::cli::PlotArgs;
use crate::commands::BadInput;
use crate::latent::LatentTable;
use vaebio_fs::AtomicFile;

/// Runs `vaebio plot`.
pub fn run(args: PlotArgs) -> Result<()> {
    let latent = LatentTable::read(&args.latent)?;
    let (xy, axes) = match latent.n_dims {
        1 => {
            return Err(BadInput(format!(
                "{}: a 1-D latent space cannot be drawn as a scatter — train with --latent-dim 2 or more",
                args.latent.display()
            ))
            .into());
        }
        2 => (latent.values.clone(), ("z1", "z2")),
        d => {
            let view = DenseView::new(&latent.values, d)?;
            (pca_scores(&view, 2, 0), ("PC1 of latent", "PC2 of latent"))
        }
    };
    if xy.iter().any(|v| !v.is_finite()) {
        let largest = latent.values.iter().fold(0f32, |m, v| m.max(v.abs()));
        return Err(BadInput(format!(
            "{}: coordinates up to {largest:e} overflow the 2-D projection — divide the table's values by a common factor first",
            args.latent.display()
        ))
        .into());
    }
    let labels = match &args.labels {
        Some(path) => Some(latent.labels(&path.to_string_lossy())?),
        None => None,
    };
    let extension_ok = args.output.extension().is_some_and(|e| e == "png");
    if !extension_ok {
        return Err(BadInput(format!(
            "{}: plots are written as PNG — give a path ending in .png",
            args.output.display()
        ))
        .into());
    }
    let file = AtomicFile::create(&args.output)
        .with_context(|| format!("{}: cannot create", args.output.display()))?;
    draw(&xy, labels.as_ref(), axes, args.size, file.temp_path())
        .map_err(|e| anyhow!("{}: drawing failed ({e})", args.output.display()))?;
    file.commit()
        .with_context(|| format!("{}: cannot write", args.output.display()))
}

fn draw(
    xy: &[f32],
    labels: Option<&crate::covariate::Covariate>,
    axes: (&str, &str),
    size: u32,
    path: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    // f64 coordinates: the span of f32 values far apart (±3e38) overflows f32, and an
    // infinite axis never finishes its ticks
    let (xs, ys): (Vec<f64>, Vec<f64>) = xy
        .chunks_exact(2)
        .map(|p| (f64::from(p[0]), f64::from(p[1])))
        .unzip();
    let range = |v: &[f64]| {
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.05).max(1e-3);
        (lo - pad)..(hi + pad)
    };
    let root = BitMapBackend::new(path, (size, size)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .margin(15)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(range(&xs), range(&ys))?;
    chart
        .configure_mesh()
        .x_desc(axes.0)
        .y_desc(axes.1)
        .draw()?;
    let groups = labels.map_or(1, |l| l.names.len());
    for group in 0..groups {
        let colour = Palette99::pick(group).mix(0.8);
        let points = xs
            .iter()
            .zip(&ys)
            .enumerate()
            .filter(|(i, _)| labels.is_none_or(|l| l.codes[*i] as usize == group))
            .map(|(_, (&x, &y))| Circle::new((x, y), 3, colour.filled()));
        let series = chart.draw_series(points)?;
        if let Some(labels) = labels {
            series
                .label(labels.names[group].clone())
                .legend(move |(x, y)| Circle::new((x, y), 4, colour.filled()));
        }
    }
    if labels.is_some() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}
