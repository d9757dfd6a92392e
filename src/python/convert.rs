//! Python objects to JSON values (tasks, rows handed back for merging) and
//! serialisable Rust values to Python objects (rows, results).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused (a task is 4 levels deep).
const MAX_DEPTH: usize = 64;

/// A JSON value from a Python object: dicts with string keys, lists and
/// tuples, strings, ints, floats, bools and None; anything with a
/// `tolist()` method (numpy arrays and scalars) through it.
pub fn to_value(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    value(obj, 0)
}

fn value(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyValueError::new_err("nested too deeply"));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        if let Ok(v) = i.extract::<i64>() {
            return Ok(Value::from(v));
        }
        if let Ok(v) = i.extract::<u64>() {
            return Ok(Value::from(v));
        }
        // Out of 64-bit range: kept as a float, which validation rejects
        // with the file format's message.
        let f: f64 = i.extract()?;
        return Ok(Number::from_f64(f).map_or(Value::Null, Value::Number));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Number::from_f64(f.value()).map_or(Value::Null, Value::Number));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut m = Map::new();
        for (k, v) in d.iter() {
            let Ok(k) = k.cast::<PyString>() else {
                return Err(PyTypeError::new_err(format!(
                    "dict keys must be strings, not {}",
                    k.get_type().name()?
                )));
            };
            m.insert(k.to_cow()?.into_owned(), value(&v, depth + 1)?);
        }
        return Ok(Value::Object(m));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l.iter().map(|v| value(&v, depth + 1)).collect();
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t.iter().map(|v| value(&v, depth + 1)).collect();
    }
    if obj.hasattr("tolist")? {
        let v = obj.call_method0("tolist")?;
        return value(&v, depth + 1);
    }
    Err(PyTypeError::new_err(format!(
        "cannot use a {} here (expected dicts, lists, strings, numbers or numpy arrays)",
        obj.get_type().name()?
    )))
}

/// A Python object (dicts, lists, str, int, float, bool, None) from a
/// serialisable value, with the fields in serialisation order.
pub fn to_python<'py, T: serde::Serialize + ?Sized>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, v)?)
}
