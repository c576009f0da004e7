//! Rampart's secret scanner: rules as data, keyword prefilter, masking
