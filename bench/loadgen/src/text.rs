//! Message text for search benchmarks: sentences drawn from a fixed vocabulary of Chinese
//! and English words with a Zipf-like frequency (the first words are common, the last
//! rare), so queries range from words in most messages to words in a few.

/// Words in rank order: a word's chance of being picked falls with its rank.
pub const VOCABULARY: &[&str] = &[
    "的",
    "我们",
    "今天",
    "项目",
    "会议",
    "客户",
    "报销",
    "审批",
    "明天",
    "发货",
    "合同",
    "仓库",
    "订单",
    "预算",
    "出差",
    "供应商",
    "付款",
    "发票",
    "物流",
    "质量",
    "report",
    "meeting",
    "budget",
    "shipment",
    "invoice",
    "deadline",
    "contract",
    "review",
    "季度",
    "总结",
    "培训",
    "安全",
    "检查",
    "设备",
    "维修",
    "采购",
    "库存",
    "运输",
    "司机",
    "车辆",
    "quarterly",
    "warehouse",
    "forecast",
    "approval",
    "差旅报销单",
    "年终奖",
    "绩效考核",
    "团建",
    "招聘",
    "面试",
    "入职",
    "离职",
    "加班",
    "调休",
    "audit",
    "compliance",
    "onboarding",
    "offsite",
    "冷链",
    "集装箱",
    "报关",
    "清关",
    "提单",
    "签收",
    "回单",
    "异常",
    "延误",
    "索赔",
    "保险",
    "reimbursement",
    "procurement",
    "logistics",
    "customs",
    "container",
    "insurance",
];

/// A small, fast, seedable generator (xorshift64*): benchmarks need reproducible text,
/// not cryptographic randomness.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A vocabulary index, low ranks far more often (roughly 1/rank).
    pub fn word(&mut self) -> usize {
        let n = VOCABULARY.len() as f64;
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        // Inverse of the continuous 1/x distribution over [1, n + 1).
        (((n + 1.0).ln() * u).exp() - 1.0).floor().min(n - 1.0) as usize
    }
}

/// A message of 6 to 20 words.
pub fn sentence(rng: &mut Rng) -> String {
    let words = 6 + (rng.next() % 15) as usize;
    let mut out = String::new();
    for i in 0..words {
        let w = VOCABULARY[rng.word()];
        if i > 0 && (w.is_ascii() || out.ends_with(|c: char| c.is_ascii_alphabetic())) {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_words_are_picked_more_often_and_every_index_is_valid() {
        let mut rng = Rng::new(7);
        let mut counts = vec![0u32; VOCABULARY.len()];
        for _ in 0..100_000 {
            counts[rng.word()] += 1;
        }
        assert!(counts[0] > counts[VOCABULARY.len() - 1] * 10, "{counts:?}");
        assert!(counts.iter().all(|c| *c > 0), "{counts:?}");
        let s = sentence(&mut rng);
        assert!(!s.is_empty() && !s.contains("  "), "{s}");
    }
}
