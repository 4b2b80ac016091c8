//! Writing AnnData `.h5ad` files in the anndata ≥ 0.8 on-disk encoding, as
//! `anndata.AnnData.write_h5ad` lays them out: root attributes `encoding-type` `anndata`,
//! `obs`/`var` dataframes (`_index`, `column-order`), `X` dense or `csr_matrix`, `obsm` of
//! dense arrays, `uns` of nested dicts, and empty `layers`, `obsp`, `varm`, `varp`.
//!
//! ```no_run
//! use vaebio_io::FeatureMatrix;
//! use vaebio_io::formats::h5ad::{AnnDataWriter, Column, Uns};
//!
//! let latent = FeatureMatrix::from_dense(
//!     vec!["cell_1".into(), "cell_2".into()],
//!     vec!["z1".into()],
//!     vec![0.5, -1.0],
//! )?;
//! let mut file = AnnDataWriter::new(&latent);
//! file.obs_column("donor", Column::Strings(vec!["d1".into(), "d2".into()]))?;
//! file.obsm("X_vaebio", 1, latent.to_dense())?;
//! file.uns("vaebio", Uns::Dict(vec![("epochs".into(), Uns::Integer(10))]));
//! file.write("latent.h5ad")?;
//! # Ok::<(), vaebio_io::Error>(())
//! ```

use std::path::Path;

use hdf5_pure::{
    AttrValue, DatasetBuilder, Datatype, EnumTypeBuilder, FileBuilder, FinishedGroup, GroupBuilder,
    make_i8_type,
};

use super::Column;
use crate::error::{Error, Result, Where};
use crate::matrix::{FeatureMatrix, Storage};

/// A value of `uns` (unstructured metadata): scalars, arrays and nested dicts.
#[derive(Debug, Clone, PartialEq)]
pub enum Uns {
    /// A string (`encoding-type` `string`).
    Text(String),
    /// An integer (`numeric-scalar`, int64).
    Integer(i64),
    /// A float (`numeric-scalar`, float64).
    Float(f64),
    /// A boolean (`numeric-scalar`, numpy bool).
    Bool(bool),
    /// An int64 array.
    Integers(Vec<i64>),
    /// A float64 array.
    Floats(Vec<f64>),
    /// A string array.
    Texts(Vec<String>),
    /// A nested dict, keys in this order.
    Dict(Vec<(String, Uns)>),
}

/// An AnnData file to write: `X` with its obs and var names, obs columns, `obsm` arrays and
/// `uns` entries. Nothing touches the disk before [`AnnDataWriter::write`].
#[derive(Debug)]
pub struct AnnDataWriter<'a> {
    x: &'a FeatureMatrix,
    obs: Vec<(String, Column)>,
    obsm: Vec<(String, usize, Vec<f32>)>,
    uns: Vec<(String, Uns)>,
}

impl<'a> AnnDataWriter<'a> {
    /// A file whose `X` is `x` (dense stays dense, CSR becomes a `csr_matrix`, dosages are
    /// written dense), obs names its row names and var names its column names.
    pub fn new(x: &'a FeatureMatrix) -> Self {
        Self {
            x,
            obs: Vec::new(),
            obsm: Vec::new(),
            uns: Vec::new(),
        }
    }

    /// Adds an `obs` column; it must have one value per row of `X` and a name not yet used.
    pub fn obs_column(&mut self, name: &str, values: Column) -> Result<&mut Self> {
        if values.len() != self.x.n_rows() {
            return Err(self.refused(
                format!("obs/{name}"),
                format!(
                    "{} values for {} observations",
                    values.len(),
                    self.x.n_rows()
                ),
            ));
        }
        if name == "_index" || self.obs.iter().any(|(used, _)| used == name) {
            return Err(self.refused(format!("obs/{name}"), "the column name is already taken"));
        }
        self.obs.push((name.to_string(), values));
        Ok(self)
    }

    /// Adds a dense `obsm` array of `n_cols` columns, row-major (e.g. `X_vaebio`, `X_pca`).
    pub fn obsm(&mut self, name: &str, n_cols: usize, values: Vec<f32>) -> Result<&mut Self> {
        if values.len() != self.x.n_rows() * n_cols {
            return Err(self.refused(
                format!("obsm/{name}"),
                format!(
                    "{} values, expected {} observations × {n_cols}",
                    values.len(),
                    self.x.n_rows()
                ),
            ));
        }
        self.obsm.push((name.to_string(), n_cols, values));
        Ok(self)
    }

    /// Adds an entry to `uns`.
    pub fn uns(&mut self, name: &str, value: Uns) -> &mut Self {
        self.uns.push((name.to_string(), value));
        self
    }

    /// Writes the file to `path` atomically: into a temporary file beside it, renamed into
    /// place when complete, so a failure leaves nothing behind.
    pub fn write(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let cannot_encode = |error: &dyn std::fmt::Display| {
            Error::invalid(
                Where::file(path.display().to_string()),
                format!("cannot encode the AnnData file ({error})"),
                "write a .tsv instead, and report this with the command line",
            )
        };
        let builder = self.build().map_err(|error| cannot_encode(&error))?;
        let mut encoding = None;
        let written = crate::matrix::write_atomic(path, |out| {
            builder.finish_to(out).map_err(|error| match error {
                hdf5_pure::Error::Io(error) => error,
                other => {
                    let error = std::io::Error::other(other.to_string());
                    encoding = Some(other);
                    error
                }
            })
        });
        match encoding {
            Some(error) => Err(cannot_encode(&error)),
            None => written,
        }
    }

    fn build(&self) -> std::result::Result<FileBuilder, hdf5_pure::FormatError> {
        let types = Types {
            bool: numpy_bool()?,
        };
        let mut file = FileBuilder::new();
        file.encoding("anndata", "0.1.0");
        self.write_x(&mut file);
        let obs = dataframe(
            file.create_group("obs"),
            self.x.row_names(),
            &self.obs,
            &types,
        );
        file.add_group(obs);
        let var = dataframe(file.create_group("var"), self.x.col_names(), &[], &types);
        file.add_group(var);
        let mut obsm = dict(file.create_group("obsm"));
        for (name, n_cols, values) in &self.obsm {
            let dataset = obsm.create_dataset(name);
            dataset
                .with_f32_data(values)
                .with_shape(&[self.x.n_rows() as u64, *n_cols as u64]);
            array_encoding(dataset);
        }
        file.add_group(obsm.finish());
        let mut uns = dict(file.create_group("uns"));
        for (name, value) in &self.uns {
            write_uns(&mut uns, name, value, &types)?;
        }
        file.add_group(uns.finish());
        for empty in ["layers", "obsp", "varm", "varp"] {
            let group = dict(file.create_group(empty));
            file.add_group(group.finish());
        }
        Ok(file)
    }

    fn write_x(&self, file: &mut FileBuilder) {
        let shape = [self.x.n_rows() as u64, self.x.n_cols() as u64];
        match self.x.storage() {
            Storage::Sparse(csr) => {
                let mut group = file.create_group("X");
                group.encoding("csr_matrix", "0.1.0");
                group.set_attr(
                    "shape",
                    AttrValue::I64Array(shape.map(|n| n as i64).to_vec()),
                );
                group.create_dataset("data").with_f32_data(csr.values());
                let indices: Vec<i32> = csr.indices().iter().map(|&i| i as i32).collect();
                group.create_dataset("indices").with_i32_data(&indices);
                let indptr: Vec<i64> = csr.indptr().iter().map(|&p| p as i64).collect();
                group.create_dataset("indptr").with_i64_data(&indptr);
                file.add_group(group.finish());
            }
            Storage::Dense(values) => {
                array_encoding(
                    file.create_dataset("X")
                        .with_f32_data(values)
                        .with_shape(&shape),
                );
            }
            Storage::Dosage(_) | Storage::Backed(_) => {
                let values = self.x.to_dense();
                array_encoding(
                    file.create_dataset("X")
                        .with_f32_data(&values)
                        .with_shape(&shape),
                );
            }
        }
    }

    fn refused(&self, element: String, what: impl Into<String>) -> Error {
        Error::invalid(
            Where::other("AnnData output", element),
            what,
            "give each obs column and obsm array one row per observation, under a new name",
        )
    }
}

/// An HDF5 object under construction that takes attributes. String attributes are written
/// fixed-width, which anndata reads as it reads Julia's files: a variable-length one would
/// cost a 4 KiB global heap collection each (hdf5-pure gives every one its own).
trait Element {
    fn attr(&mut self, name: &str, value: AttrValue);

    /// anndata's `encoding-type` and `encoding-version`, which say how to read the element.
    fn encoding(&mut self, kind: &str, version: &str) {
        self.attr("encoding-type", AttrValue::String(kind.to_string()));
        self.attr("encoding-version", AttrValue::String(version.to_string()));
    }
}

impl Element for FileBuilder {
    fn attr(&mut self, name: &str, value: AttrValue) {
        self.set_attr(name, value);
    }
}

impl Element for GroupBuilder {
    fn attr(&mut self, name: &str, value: AttrValue) {
        self.set_attr(name, value);
    }
}

impl Element for DatasetBuilder {
    fn attr(&mut self, name: &str, value: AttrValue) {
        self.set_attr(name, value);
    }
}

fn array_encoding(dataset: &mut DatasetBuilder) {
    dataset.encoding("array", "0.2.0");
}

fn dict(mut group: GroupBuilder) -> GroupBuilder {
    group.encoding("dict", "0.1.0");
    group
}

/// A dataframe group: the index in `_index`, then the columns in order.
fn dataframe(
    mut group: GroupBuilder,
    index: &[String],
    columns: &[(String, Column)],
    types: &Types,
) -> FinishedGroup {
    group.encoding("dataframe", "0.2.0");
    group.set_attr("_index", AttrValue::String("_index".to_string()));
    // h5py writes an empty column list as an empty float64 array; anndata reads either.
    let order = if columns.is_empty() {
        AttrValue::F64Array(Vec::new())
    } else {
        AttrValue::StringArray(columns.iter().map(|(name, _)| name.clone()).collect())
    };
    group.set_attr("column-order", order);
    string_array(group.create_dataset("_index"), index);
    for (name, column) in columns {
        write_column(&mut group, name, column, types);
    }
    group.finish()
}

fn string_array(dataset: &mut DatasetBuilder, values: &[String]) {
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    dataset.with_vlen_strings(&values);
    dataset.encoding("string-array", "0.2.0");
}

fn write_column(group: &mut GroupBuilder, name: &str, column: &Column, types: &Types) {
    match column {
        Column::Categorical {
            categories,
            codes,
            ordered,
        } => {
            let mut categorical = group.create_group(name);
            categorical.encoding("categorical", "0.2.0");
            categorical.set_attr("ordered", AttrValue::I8(i8::from(*ordered)));
            string_array(categorical.create_dataset("categories"), categories);
            let codes_dataset = categorical.create_dataset("codes");
            // anndata stores codes in the narrowest signed type that holds them.
            if categories.len() < i8::MAX as usize {
                let codes: Vec<i8> = codes.iter().map(|&c| c as i8).collect();
                codes_dataset.with_i8_data(&codes);
            } else if categories.len() < i16::MAX as usize {
                let codes: Vec<i16> = codes.iter().map(|&c| c as i16).collect();
                codes_dataset.with_i16_data(&codes);
            } else {
                codes_dataset.with_i64_data(codes);
            }
            array_encoding(codes_dataset);
            group.add_group(categorical.finish());
        }
        Column::Strings(values) => string_array(group.create_dataset(name), values),
        Column::Integers(values) => {
            array_encoding(group.create_dataset(name).with_i64_data(values))
        }
        Column::Floats(values) => array_encoding(group.create_dataset(name).with_f64_data(values)),
        Column::Booleans(values) => {
            let flags: Vec<u8> = values.iter().map(|&flag| u8::from(flag)).collect();
            array_encoding(
                group
                    .create_dataset(name)
                    .with_enum_u8_data(types.bool.clone(), &flags),
            );
        }
    }
}

/// Datatypes built once per file.
struct Types {
    /// numpy's bool as h5py stores it.
    bool: Datatype,
}

/// An enum FALSE = 0, TRUE = 1 over int8, as h5py stores numpy bools.
fn numpy_bool() -> std::result::Result<Datatype, hdf5_pure::FormatError> {
    EnumTypeBuilder::with_base(make_i8_type())
        .value("FALSE", 0)
        .value("TRUE", 1)
        .build()
}

fn write_uns(
    group: &mut GroupBuilder,
    name: &str,
    value: &Uns,
    types: &Types,
) -> std::result::Result<(), hdf5_pure::FormatError> {
    let scalar = |dataset: &mut DatasetBuilder| {
        dataset.with_shape(&[]);
        dataset.encoding("numeric-scalar", "0.2.0");
    };
    match value {
        Uns::Text(text) => {
            let dataset = group.create_dataset(name);
            // Fixed-width (h5py's `asstr` reads it as anndata does): a variable-length
            // string would cost a 4 KiB global heap collection of its own.
            dataset.with_strings(&[text.as_str()])?.with_shape(&[]);
            dataset.encoding("string", "0.2.0");
        }
        Uns::Integer(value) => scalar(group.create_dataset(name).with_i64_data(&[*value])),
        Uns::Float(value) => scalar(group.create_dataset(name).with_f64_data(&[*value])),
        Uns::Bool(value) => scalar(
            group
                .create_dataset(name)
                .with_enum_u8_data(types.bool.clone(), &[u8::from(*value)]),
        ),
        Uns::Integers(values) => array_encoding(group.create_dataset(name).with_i64_data(values)),
        Uns::Floats(values) => array_encoding(group.create_dataset(name).with_f64_data(values)),
        Uns::Texts(values) => string_array(group.create_dataset(name), values),
        Uns::Dict(entries) => {
            let mut nested = dict(group.create_group(name));
            for (key, value) in entries {
                write_uns(&mut nested, key, value, types)?;
            }
            group.add_group(nested.finish());
        }
    }
    Ok(())
}
