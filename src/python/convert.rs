//! Python objects to JSON values (tasks, rows handed back for merging) and
//! serialisable Rust values to Python objects (rows, results).
//!
//! Rows are many (10^5 and more per call): [`Objects`] serialises any
//! `Serialize` value straight into Python objects, creating each dict key
//! and each short repeated string (a status, a task id) once per call.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde::ser::{self, Serialize};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;

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

/// Turns serialisable values into Python objects, reusing dict keys and
/// short repeated strings across the values of one call.
pub struct Objects<'py> {
    py: Python<'py>,
    strings: HashMap<Box<str>, Bound<'py, PyString>, BuildFx>,
    /// A map key is being serialised.
    key: bool,
}

/// The cache is looked up for every key and short value: a fast hash
/// (the program's own strings, not chosen by an adversary).
type BuildFx = std::hash::BuildHasherDefault<crate::maps::MixHasher>;

/// Strings up to this many bytes are reused (keys, statuses, task ids).
const SHORT: usize = 12;
/// The most distinct strings kept for reuse.
const KEEP: usize = 512;

impl<'py> Objects<'py> {
    pub fn new(py: Python<'py>) -> Objects<'py> {
        Objects {
            py,
            strings: HashMap::default(),
            key: false,
        }
    }

    /// The Python object of `v`: dicts (fields in serialisation order),
    /// lists, str, int, float, bool and None.
    pub fn convert<T: Serialize + ?Sized>(&mut self, v: &T) -> PyResult<Bound<'py, PyAny>> {
        v.serialize(Ser { o: self }).map_err(|e| e.0)
    }

    fn string(&mut self, s: &str, key: bool) -> Bound<'py, PyString> {
        if !key && s.len() > SHORT {
            return PyString::new(self.py, s);
        }
        if let Some(p) = self.strings.get(s) {
            return p.clone();
        }
        let p = if key {
            PyString::intern(self.py, s)
        } else {
            PyString::new(self.py, s)
        };
        if self.strings.len() < KEEP {
            self.strings.insert(s.into(), p.clone());
        }
        p
    }
}

/// A Python error inside serde.
#[derive(Debug)]
pub struct SerError(PyErr);

impl std::fmt::Display for SerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for SerError {}

impl ser::Error for SerError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        SerError(PyValueError::new_err(msg.to_string()))
    }
}

impl From<PyErr> for SerError {
    fn from(e: PyErr) -> Self {
        SerError(e)
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, SerError>;

struct Ser<'a, 'py> {
    o: &'a mut Objects<'py>,
}

/// A list being built.
struct List<'a, 'py> {
    o: &'a mut Objects<'py>,
    items: Vec<Bound<'py, PyAny>>,
}

/// A dict being built (`key` waits for its value).
struct Dict<'a, 'py> {
    o: &'a mut Objects<'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
    /// For a struct variant: the variant name wrapping the dict.
    variant: Option<&'static str>,
}

impl<'a, 'py> Ser<'a, 'py> {
    fn list(self, len: Option<usize>) -> List<'a, 'py> {
        List {
            o: self.o,
            items: Vec::with_capacity(len.unwrap_or(0)),
        }
    }
    fn dict(self, variant: Option<&'static str>) -> Dict<'a, 'py> {
        let dict = PyDict::new(self.o.py);
        Dict {
            o: self.o,
            dict,
            key: None,
            variant,
        }
    }
    fn int(self, v: i64) -> Out<'py> {
        Ok(PyInt::new(self.o.py, v).into_any())
    }
}

impl<'a, 'py> ser::Serializer for Ser<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    type SerializeSeq = List<'a, 'py>;
    type SerializeTuple = List<'a, 'py>;
    type SerializeTupleStruct = List<'a, 'py>;
    type SerializeTupleVariant = List<'a, 'py>;
    type SerializeMap = Dict<'a, 'py>;
    type SerializeStruct = Dict<'a, 'py>;
    type SerializeStructVariant = Dict<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(PyBool::new(self.o.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.int(v.into())
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.int(v.into())
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.int(v.into())
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.int(v.into())
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.int(v.into())
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.int(v.into())
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        Ok(PyInt::new(self.o.py, v).into_any())
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        self.serialize_f64(v as f64)
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        Ok(PyFloat::new(self.o.py, v).into_any())
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        let key = self.o.key;
        Ok(self.o.string(v, key).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        Ok(pyo3::types::PyBytes::new(self.o.py, v).into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.o.py.None().into_bound(self.o.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Out<'py> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Out<'py> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> Out<'py> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> Out<'py> {
        let dict = PyDict::new(self.o.py);
        let key = self.o.string(variant, true);
        let value = v.serialize(Ser { o: self.o })?;
        dict.set_item(key, value)?;
        Ok(dict.into_any())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<List<'a, 'py>, SerError> {
        Ok(self.list(len))
    }
    fn serialize_tuple(self, len: usize) -> Result<List<'a, 'py>, SerError> {
        Ok(self.list(Some(len)))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<List<'a, 'py>, SerError> {
        Ok(self.list(Some(len)))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        len: usize,
    ) -> Result<List<'a, 'py>, SerError> {
        // Externally tagged tuple variants are rare here: the list alone.
        Ok(self.list(Some(len)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Dict<'a, 'py>, SerError> {
        Ok(self.dict(None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Dict<'a, 'py>, SerError> {
        Ok(self.dict(None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Dict<'a, 'py>, SerError> {
        Ok(self.dict(Some(variant)))
    }
}

impl<'py> List<'_, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        let item = v.serialize(Ser { o: self.o })?;
        self.items.push(item);
        Ok(())
    }
    fn finish(self) -> Out<'py> {
        Ok(PyList::new(self.o.py, self.items)?.into_any())
    }
}

impl<'py> ser::SerializeSeq for List<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        self.push(v)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTuple for List<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        self.push(v)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleStruct for List<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        self.push(v)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeTupleVariant for List<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        self.push(v)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> Dict<'_, 'py> {
    fn field<T: Serialize + ?Sized>(&mut self, key: &str, v: &T) -> Result<(), SerError> {
        let key = self.o.string(key, true);
        let value = v.serialize(Ser { o: self.o })?;
        self.dict.set_item(key, value)?;
        Ok(())
    }
    fn finish(self) -> Out<'py> {
        match self.variant {
            None => Ok(self.dict.into_any()),
            Some(variant) => {
                let outer = PyDict::new(self.o.py);
                outer.set_item(self.o.string(variant, true), self.dict)?;
                Ok(outer.into_any())
            }
        }
    }
}

impl<'py> ser::SerializeMap for Dict<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), SerError> {
        // Keys (strings, for JSON-like data) are reused like field names.
        self.o.key = true;
        let k = key.serialize(Ser { o: self.o });
        self.o.key = false;
        self.key = Some(k?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), SerError> {
        let value = v.serialize(Ser { o: self.o })?;
        let key = self
            .key
            .take()
            .ok_or_else(|| SerError(PyValueError::new_err("a map value without a key")))?;
        self.dict.set_item(key, value)?;
        Ok(())
    }
    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        v: &V,
    ) -> Result<(), SerError> {
        self.serialize_key(key)?;
        self.serialize_value(v)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStruct for Dict<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), SerError> {
        self.field(key, v)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'py> ser::SerializeStructVariant for Dict<'_, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = SerError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        v: &T,
    ) -> Result<(), SerError> {
        self.field(key, v)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

/// One value as a Python object (see [`Objects`]).
pub fn to_python<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    v: &T,
) -> PyResult<Bound<'py, PyAny>> {
    Objects::new(py).convert(v)
}
