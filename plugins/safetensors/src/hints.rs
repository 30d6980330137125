//! A guess at the model family from tensor names: cheap, and only a hint.

/// Name fragments (all must occur in some tensor name) and the family they suggest.
const FAMILIES: &[(&[&str], &str)] = &[
    (&["lora_unet_"], "kohya-lora"),
    (&[".lora_a.", ".lora_b."], "peft-lora-adapter"),
    (&["model.diffusion_model."], "stable-diffusion-ldm"),
    (
        &["down_blocks.", "up_blocks.", "mid_block."],
        "diffusers-unet",
    ),
    (&["vision_model.", "text_model."], "clip"),
    (&["gpt_neox.layers."], "gpt-neox"),
    (&["transformer.h.", ".attn.c_attn."], "gpt2"),
    (&["transformer.blocks."], "mpt"),
    (&["encoder.block.", "decoder.block."], "t5"),
    (
        &["model.layers.", ".self_attn.q_proj."],
        "llama-style-decoder",
    ),
    (&["model.decoder.layers."], "encoder-decoder-or-opt"),
    (
        &["encoder.layer.", ".attention.self.query."],
        "bert-style-encoder",
    ),
];

pub fn architecture<'a>(names: impl Iterator<Item = &'a str>) -> Option<&'static str> {
    let lower: Vec<String> = names.map(str::to_ascii_lowercase).collect();
    FAMILIES
        .iter()
        .find(|(fragments, _)| {
            fragments
                .iter()
                .all(|f| lower.iter().any(|n| n.contains(f)))
        })
        .map(|(_, family)| *family)
}
