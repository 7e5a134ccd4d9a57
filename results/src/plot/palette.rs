//! Colours and line styles that keep 12+ methods apart: random in black, then
//! Tableau 10 and four more distinguishable colours (Paul Tol's), cycling
//! through solid, dashed and dotted lines and four marker shapes, so two
//! methods never share colour, dash and marker together.

use plotters::style::RGBColor;

/// Colour of the random reference.
pub const RANDOM: RGBColor = RGBColor(0, 0, 0);

/// Tableau 10, then Tol's muted extras.
const COLOURS: [RGBColor; 14] = [
    RGBColor(0x4E, 0x79, 0xA7),
    RGBColor(0xF2, 0x8E, 0x2B),
    RGBColor(0xE1, 0x57, 0x59),
    RGBColor(0x76, 0xB7, 0xB2),
    RGBColor(0x59, 0xA1, 0x4F),
    RGBColor(0xED, 0xC9, 0x48),
    RGBColor(0xB0, 0x7A, 0xA1),
    RGBColor(0xFF, 0x9D, 0xA7),
    RGBColor(0x9C, 0x75, 0x5F),
    RGBColor(0xBA, 0xB0, 0xAC),
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0x11, 0x77, 0x33),
    RGBColor(0x44, 0xAA, 0x99),
];

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dash {
    /// Continuous.
    Solid,
    /// Long dashes.
    Dashed,
    /// Short dashes.
    Dotted,
}

/// A point marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// Filled circle.
    Circle,
    /// Filled triangle.
    Triangle,
    /// Filled square.
    Square,
    /// Cross.
    Cross,
}

/// The look of one method.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Look {
    /// Line and marker colour.
    pub colour: RGBColor,
    /// Line dash.
    pub dash: Dash,
    /// Marker shape.
    pub marker: Marker,
}

/// The look of the `i`-th non-random method (0-based), or random's.
pub fn look(i: usize, is_reference: bool) -> Look {
    if is_reference {
        return Look {
            colour: RANDOM,
            dash: Dash::Solid,
            marker: Marker::Circle,
        };
    }
    let dash = match (i / COLOURS.len()) % 3 {
        0 => Dash::Solid,
        1 => Dash::Dashed,
        _ => Dash::Dotted,
    };
    let marker = match i % 4 {
        0 => Marker::Circle,
        1 => Marker::Triangle,
        2 => Marker::Square,
        _ => Marker::Cross,
    };
    Look {
        colour: COLOURS[i % COLOURS.len()],
        dash: if i >= COLOURS.len() {
            dash
        } else {
            [Dash::Solid, Dash::Dashed][i % 2]
        },
        marker,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_methods_all_differ() {
        let looks: Vec<Look> = (0..40).map(|i| look(i, false)).collect();
        for i in 0..looks.len() {
            for j in 0..i {
                assert_ne!(looks[i], looks[j], "{i} and {j}");
            }
            assert_ne!(looks[i].colour, RANDOM);
        }
    }
}
