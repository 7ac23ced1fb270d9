//! Multi-head hashed linear model with i8-quantised, bucket-interleaved weights.
//!
//! File format (little endian): magic `FBAN0001`, `u32` header length, JSON
//! [`ModelHeader`], then `2^bucket_bits * stride` signed bytes. Row `b` holds the
//! weights of every head's outputs for hash bucket `b`, so one feature costs one
//! cache line for all heads.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::features::{Extractor, FeatureConfig, Features};
use crate::AnalyzeError;

const MAGIC: &[u8; 8] = b"FBAN0001";

/// Metadata of one head.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct HeadMeta {
    /// Head name (e.g. `sentiment`).
    pub name: String,
    /// Class names; a sigmoid head has exactly one (the positive class).
    pub classes: Vec<String>,
    /// Sigmoid (binary, one output) instead of softmax.
    pub sigmoid: bool,
    /// First output column of this head in a weight row.
    pub offset: usize,
    /// Dequantisation scale.
    pub scale: f32,
    /// Bias per output.
    pub bias: Vec<f32>,
    /// Temperature applied to the logits (calibration); 1.0 = none.
    pub temperature: f32,
    /// Decision threshold for sigmoid heads (probability).
    pub threshold: f32,
    /// Language-specific blocks ("frustratingly easy" feature augmentation):
    /// for a text in `groups[g]` the logits are shared block + block `g + 1`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// The language blocks are biases only (no weight columns stored): a
    /// per-language decision threshold or class-prior correction.
    #[serde(default, skip_serializing_if = "is_false")]
    pub bias_only_groups: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Model header.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ModelHeader {
    /// Feature configuration.
    pub features: FeatureConfig,
    /// Outputs per weight row.
    pub stride: usize,
    /// Heads.
    pub heads: Vec<HeadMeta>,
    /// Free-form training information (data sizes, seeds, ...).
    pub info: serde_json::Value,
}

/// Float weights of a head as produced by training.
#[derive(Debug, Clone)]
pub struct HeadWeights {
    /// Name.
    pub name: String,
    /// Classes (one for sigmoid heads).
    pub classes: Vec<String>,
    /// Sigmoid head.
    pub sigmoid: bool,
    /// Row-major `buckets x outputs`.
    pub w: Vec<f32>,
    /// Bias per output.
    pub bias: Vec<f32>,
    /// Temperature.
    pub temperature: f32,
    /// Decision threshold (sigmoid heads).
    pub threshold: f32,
    /// Language blocks (see [`HeadMeta::groups`]).
    pub groups: Vec<String>,
    /// The language blocks are biases only: `w` holds the shared block's
    /// `k` columns, `bias` all `k * (1 + groups)` values.
    pub bias_only_groups: bool,
}

impl HeadWeights {
    /// Number of outputs (all blocks; the length of `bias`).
    pub fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// Number of weight columns per bucket (`outputs()` unless the language
    /// blocks are biases only).
    pub fn columns(&self) -> usize {
        if self.bias_only_groups {
            self.k()
        } else {
            self.outputs()
        }
    }

    /// Outputs per block.
    pub fn k(&self) -> usize {
        if self.sigmoid {
            1
        } else {
            self.classes.len()
        }
    }

    /// Float logits (before temperature) of the features, shared block only.
    pub fn logits(&self, f: &Features) -> Vec<f32> {
        self.logits_group(f, None)
    }

    /// Float logits with the block of language group `g` added.
    pub fn logits_group(&self, f: &Features, g: Option<usize>) -> Vec<f32> {
        let n = self.columns();
        let k = self.k();
        let g = g.filter(|&g| g < self.groups.len());
        let mut out: Vec<f32> = self.bias[..k].to_vec();
        if let Some(g) = g {
            for (o, b) in out.iter_mut().zip(&self.bias[(g + 1) * k..(g + 2) * k]) {
                *o += b;
            }
        }
        let v = f.value();
        for &b in &f.buckets {
            let row = &self.w[b as usize * n..b as usize * n + n];
            for (o, w) in out.iter_mut().zip(&row[..k]) {
                *o += w * v;
            }
            if let Some(g) = g.filter(|_| !self.bias_only_groups) {
                for (o, w) in out.iter_mut().zip(&row[(g + 1) * k..(g + 2) * k]) {
                    *o += w * v;
                }
            }
        }
        out
    }
}

/// The quantised multi-head model.
#[derive(Debug, Clone)]
pub struct Model {
    header: ModelHeader,
    weights: Vec<i8>,
    extractor: Extractor,
}

/// Numerically stable softmax in place.
pub fn softmax(v: &mut [f32]) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for x in v.iter_mut() {
        *x = (*x - m).exp();
        s += *x;
    }
    if s > 0.0 {
        for x in v.iter_mut() {
            *x /= s;
        }
    }
}

/// Logistic function.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl Model {
    /// Quantise trained heads into one model.
    pub fn from_heads(cfg: FeatureConfig, heads: &[HeadWeights], info: serde_json::Value) -> Model {
        let buckets = 1usize << cfg.bucket_bits;
        let total: usize = heads.iter().map(|h| h.columns()).sum();
        let stride = total.div_ceil(8) * 8;
        let mut weights = vec![0i8; buckets * stride];
        let mut metas = Vec::new();
        let mut offset = 0;
        for h in heads {
            let k = h.columns();
            let max = h.w.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
            for b in 0..buckets {
                for j in 0..k {
                    let q = (h.w[b * k + j] / scale).round().clamp(-127.0, 127.0);
                    weights[b * stride + offset + j] = q as i8;
                }
            }
            metas.push(HeadMeta {
                name: h.name.clone(),
                classes: h.classes.clone(),
                sigmoid: h.sigmoid,
                offset,
                scale,
                bias: h.bias.clone(),
                temperature: h.temperature,
                threshold: h.threshold,
                groups: h.groups.clone(),
                bias_only_groups: h.bias_only_groups,
            });
            offset += k;
        }
        let extractor = Extractor::new(cfg.clone());
        Model {
            header: ModelHeader {
                features: cfg,
                stride,
                heads: metas,
                info,
            },
            weights,
            extractor,
        }
    }

    /// Serialise.
    pub fn to_bytes(&self) -> Result<Vec<u8>, AnalyzeError> {
        let header = serde_json::to_vec(&self.header)?;
        let len = u32::try_from(header.len())
            .map_err(|_| AnalyzeError::Format("header too large".into()))?;
        let mut out = Vec::with_capacity(12 + header.len() + self.weights.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&header);
        out.extend(self.weights.iter().map(|&x| x as u8));
        Ok(out)
    }

    /// Deserialise.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, AnalyzeError> {
        if bytes.len() < 12 || &bytes[..8] != MAGIC {
            return Err(AnalyzeError::Format(
                "not a firebreak-analyze model (bad magic)".into(),
            ));
        }
        let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        let hend = 12usize
            .checked_add(len)
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| AnalyzeError::Format("truncated header".into()))?;
        let header: ModelHeader = serde_json::from_slice(&bytes[12..hend])?;
        if header.features.bucket_bits == 0 || header.features.bucket_bits > 24 {
            return Err(AnalyzeError::Format("bad bucket_bits".into()));
        }
        let buckets = 1usize << header.features.bucket_bits;
        let expect = buckets * header.stride;
        if bytes.len() - hend != expect {
            return Err(AnalyzeError::Format(format!(
                "weight blob has {} bytes, expected {expect}",
                bytes.len() - hend
            )));
        }
        for h in &header.heads {
            let n = h.bias.len();
            let k = if h.sigmoid { 1 } else { h.classes.len() };
            let cols = if h.bias_only_groups { k } else { n };
            if k == 0
                || h.offset + cols > header.stride
                || n != k * (1 + h.groups.len())
                || (h.sigmoid && h.classes.len() != 1)
            {
                return Err(AnalyzeError::Format(format!(
                    "inconsistent head {}",
                    h.name
                )));
            }
        }
        let weights = bytes[hend..].iter().map(|&x| x as i8).collect();
        let extractor = Extractor::new(header.features.clone());
        Ok(Model {
            header,
            weights,
            extractor,
        })
    }

    /// Write to a file.
    pub fn save(&self, path: &Path) -> Result<(), AnalyzeError> {
        let bytes = self.to_bytes()?;
        std::fs::write(path, bytes).map_err(|e| AnalyzeError::io(path, e))
    }

    /// Read from a file.
    pub fn load(path: &Path) -> Result<Model, AnalyzeError> {
        let bytes = std::fs::read(path).map_err(|e| AnalyzeError::io(path, e))?;
        Model::from_bytes(&bytes)
    }

    /// Header.
    pub fn header(&self) -> &ModelHeader {
        &self.header
    }

    /// Feature extractor.
    pub fn extractor(&self) -> &Extractor {
        &self.extractor
    }

    /// Index of a head by name.
    pub fn head_index(&self, name: &str) -> Option<usize> {
        self.header.heads.iter().position(|h| h.name == name)
    }

    /// Accumulate the integer scores of all outputs.
    pub fn accumulate(&self, f: &Features, acc: &mut Vec<i32>) {
        let stride = self.header.stride;
        acc.clear();
        acc.resize(stride, 0);
        for &b in &f.buckets {
            let start = b as usize * stride;
            if let Some(row) = self.weights.get(start..start + stride) {
                for (a, &w) in acc.iter_mut().zip(row) {
                    *a += i32::from(w);
                }
            }
        }
    }

    /// Block index of language `lang` in head `idx` (None: shared block only).
    pub fn group_of(&self, idx: usize, lang: Option<&str>) -> Option<usize> {
        let lang = lang?;
        self.header
            .heads
            .get(idx)?
            .groups
            .iter()
            .position(|g| g == lang)
    }

    /// Calibrated logits of head `idx` (temperature applied), with the block of
    /// language group `group` added when the head has one.
    pub fn head_logits(
        &self,
        idx: usize,
        f: &Features,
        acc: &[i32],
        group: Option<usize>,
        out: &mut Vec<f32>,
    ) {
        out.clear();
        let Some(h) = self.header.heads.get(idx) else {
            return;
        };
        let k = if h.sigmoid { 1 } else { h.classes.len() };
        let g = group.filter(|&g| g < h.groups.len());
        let v = f.value();
        for j in 0..k {
            let mut raw =
                acc.get(h.offset + j).copied().unwrap_or(0) as f32 * h.scale * v + h.bias[j];
            if let Some(g) = g {
                let c = (g + 1) * k + j;
                raw += h.bias[c];
                if !h.bias_only_groups {
                    raw += acc.get(h.offset + c).copied().unwrap_or(0) as f32 * h.scale * v;
                }
            }
            out.push(raw / h.temperature.max(1e-3));
        }
    }

    /// Probabilities of head `idx`: softmax over classes, or one sigmoid value.
    pub fn head_probs(
        &self,
        idx: usize,
        f: &Features,
        acc: &[i32],
        group: Option<usize>,
        out: &mut Vec<f32>,
    ) {
        self.head_logits(idx, f, acc, group, out);
        match self.header.heads.get(idx) {
            Some(h) if h.sigmoid => {
                for x in out.iter_mut() {
                    *x = sigmoid(*x);
                }
            }
            Some(_) => softmax(out),
            None => {}
        }
    }

    /// Size of the weights in bytes.
    pub fn weight_bytes(&self) -> usize {
        self.weights.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_quantisation() {
        let cfg = FeatureConfig {
            bucket_bits: 10,
            ..FeatureConfig::default()
        };
        let buckets = 1usize << cfg.bucket_bits;
        let mut w = vec![0.0f32; buckets * 2];
        for (i, x) in w.iter_mut().enumerate() {
            *x = ((i % 17) as f32 - 8.0) / 10.0;
        }
        let head = HeadWeights {
            name: "t".into(),
            classes: vec!["a".into(), "b".into()],
            sigmoid: false,
            w,
            bias: vec![0.1, -0.1],
            temperature: 1.0,
            threshold: 0.5,
            groups: Vec::new(),
            bias_only_groups: false,
        };
        let m = Model::from_heads(cfg, std::slice::from_ref(&head), serde_json::json!({}));
        let bytes = m.to_bytes().expect("serialise");
        let m2 = Model::from_bytes(&bytes).expect("parse");
        assert_eq!(m2.header(), m.header());
        let f = m2.extractor().extract("ciao a tutti, che bella giornata");
        let mut acc = Vec::new();
        m2.accumulate(&f, &mut acc);
        let mut q = Vec::new();
        m2.head_logits(0, &f, &acc, None, &mut q);
        let exact = head.logits(&f);
        for (a, b) in q.iter().zip(&exact) {
            assert!((a - b).abs() < 0.05, "{a} vs {b}");
        }
        assert!(Model::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(Model::from_bytes(b"garbage").is_err());
    }
}
